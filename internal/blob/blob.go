// Package blob is the object store every function reads its input from and writes its output to.
//
// One small interface, two backends chosen by URL: s3://bucket?endpoint=host:9000 (MinIO or any
// S3 service, through minio-go) and file:///dir (a plain directory, written atomically by temp file
// and rename). Keys are slash-separated, Hive-partitioned paths such as
// telemetry/date=2026-11-22/hour=13/<batch>.parquet. It is not a file system: there are no
// directories, appends or partial writes; an object is either wholly there or absent.
package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// ErrNotFound is returned (wrapped, with the key) when an object does not exist.
var ErrNotFound = errors.New("object not found")

// ErrInvalidKey is returned (wrapped, with the reason) for a key that is not safe to store under.
var ErrInvalidKey = errors.New("invalid key")

// Store reads and writes whole objects by key.
type Store interface {
	// Put stores the object atomically: readers see the old object or the whole new one.
	// size may be -1 when unknown.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Open returns the object for random-access reading; a missing key wraps ErrNotFound.
	Open(ctx context.Context, key string) (Object, error)
	// List returns the objects whose keys start with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]Info, error)
	// Delete removes the object; deleting a missing object is not an error.
	Delete(ctx context.Context, key string) error
	// String is the store's URL with credentials removed, for logs.
	String() string
}

// Object is an open object: random access (what Parquet readers need) plus its size.
type Object interface {
	io.Reader
	io.ReaderAt
	io.Closer
	Size() int64
}

// Info describes a stored object.
type Info struct {
	Key      string
	Size     int64
	Modified time.Time
}

// Open returns the store a URL names: file:///abs/dir, file://./rel/dir, or
// s3://bucket?endpoint=host:port[&secure=true][&region=r][&prefix=p].
func Open(ctx context.Context, rawURL string) (Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store URL %q: %w", rawURL, err)
	}
	switch u.Scheme {
	case "file":
		dir := u.Host + u.Path
		if dir == "" {
			return nil, fmt.Errorf("store URL %q: file URL needs a directory", rawURL)
		}
		return NewFile(dir)
	case "s3":
		return openS3(ctx, u)
	default:
		return nil, fmt.Errorf("store URL %q: unknown scheme %q (want file or s3)", rawURL, u.Scheme)
	}
}

// ValidKey checks that key is a safe object key: non-empty, relative, slash-separated segments
// that are neither empty, "." nor "..", none starting with "." (reserved for temporary files),
// and no backslashes or control characters. A key that could escape the store is rejected.
func ValidKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if len(key) > 1024 {
		return fmt.Errorf("%w %.40q...: longer than 1024 bytes", ErrInvalidKey, key)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("%w %q: contains %q", ErrInvalidKey, key, r)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		switch {
		case seg == "":
			return fmt.Errorf("%w %q: empty path segment (leading, trailing or double slash)", ErrInvalidKey, key)
		case seg == "." || seg == "..":
			return fmt.Errorf("%w %q: %q segment", ErrInvalidKey, key, seg)
		case seg[0] == '.':
			return fmt.Errorf("%w %q: segment %q starts with a dot", ErrInvalidKey, key, seg)
		}
	}
	return nil
}

// PutBytes stores data under key.
func PutBytes(ctx context.Context, s Store, key string, data []byte) error {
	return s.Put(ctx, key, bytes.NewReader(data), int64(len(data)))
}

// GetBytes reads the whole object under key.
func GetBytes(ctx context.Context, s Store, key string) ([]byte, error) {
	o, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	buf := make([]byte, o.Size())
	if _, err := io.ReadFull(io.NewSectionReader(o, 0, o.Size()), buf); err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	return buf, nil
}

// Exists reports whether an object is stored under key.
func Exists(ctx context.Context, s Store, key string) (bool, error) {
	o, err := s.Open(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, o.Close()
}

func notFound(key string) error { return fmt.Errorf("%w: %s", ErrNotFound, key) }
