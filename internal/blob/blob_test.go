package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/netopsfn/netops/internal/blob"
	"github.com/netopsfn/netops/internal/testenv"
)

// TestStore is the suite every backend must pass.
func TestStore(t *testing.T) {
	for name, s := range testenv.Stores(t) {
		t.Run(name, func(t *testing.T) { suite(t, s) })
	}
}

func suite(t *testing.T, s blob.Store) {
	ctx := context.Background()
	key := "telemetry/date=2026-11-22/hour=13/b1.parquet"

	t.Run("missing", func(t *testing.T) {
		_, err := s.Open(ctx, "nope/x.parquet")
		if !errors.Is(err, blob.ErrNotFound) || !strings.Contains(err.Error(), "nope/x.parquet") {
			t.Fatalf("Open missing: %v, want ErrNotFound naming the key", err)
		}
		ok, err := blob.Exists(ctx, s, "nope/x.parquet")
		if ok || err != nil {
			t.Fatalf("Exists missing = %v, %v", ok, err)
		}
	})

	t.Run("round trip and overwrite", func(t *testing.T) {
		if err := blob.PutBytes(ctx, s, key, []byte("first")); err != nil {
			t.Fatal(err)
		}
		if err := blob.PutBytes(ctx, s, key, []byte("second version")); err != nil {
			t.Fatal(err)
		}
		got, err := blob.GetBytes(ctx, s, key)
		if err != nil || string(got) != "second version" {
			t.Fatalf("GetBytes = %q, %v", got, err)
		}
		o, err := s.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		if o.Size() != int64(len("second version")) {
			t.Fatalf("Size = %d", o.Size())
		}
		buf := make([]byte, 7)
		if _, err := o.ReadAt(buf, 7); err != nil && err != io.EOF || string(buf) != "version" {
			t.Fatalf("ReadAt = %q, %v", buf, err)
		}
	})

	t.Run("unknown size", func(t *testing.T) {
		data := bytes.Repeat([]byte("0123456789"), 1000)
		if err := s.Put(ctx, "unknown/size.bin", bytes.NewReader(data), -1); err != nil {
			t.Fatal(err)
		}
		got, err := blob.GetBytes(ctx, s, "unknown/size.bin")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("got %d bytes, %v", len(got), err)
		}
	})

	t.Run("list", func(t *testing.T) {
		for i := range 3 {
			k := fmt.Sprintf("labels/date=2026-11-22/hour=0%d/b.parquet", 3-i)
			if err := blob.PutBytes(ctx, s, k, []byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
		}
		infos, err := s.List(ctx, "labels/")
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, in := range infos {
			keys = append(keys, in.Key)
			if in.Size != 1 {
				t.Errorf("%s size %d", in.Key, in.Size)
			}
		}
		want := "labels/date=2026-11-22/hour=01/b.parquet labels/date=2026-11-22/hour=02/b.parquet labels/date=2026-11-22/hour=03/b.parquet"
		if strings.Join(keys, " ") != want {
			t.Fatalf("List = %v", keys)
		}
		infos, err = s.List(ctx, "labels/date=2026-11-22/hour=02")
		if err != nil || len(infos) != 1 {
			t.Fatalf("List partial prefix = %v, %v", infos, err)
		}
		infos, err = s.List(ctx, "absent/")
		if err != nil || len(infos) != 0 {
			t.Fatalf("List absent = %v, %v", infos, err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if err := blob.PutBytes(ctx, s, "d/x", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "d/x"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "d/x"); err != nil {
			t.Fatalf("second delete: %v", err)
		}
		if ok, _ := blob.Exists(ctx, s, "d/x"); ok {
			t.Fatal("still there")
		}
	})

	t.Run("unsafe keys rejected", func(t *testing.T) {
		for _, k := range []string{"", "../etc/passwd", "a/../../b", "/abs", "a//b", "a/./b", "a/", "a\\b", ".hidden", "a/.tmp", "a\x00b"} {
			if err := blob.PutBytes(ctx, s, k, []byte("x")); err == nil {
				t.Errorf("Put(%q) accepted", k)
			}
			if _, err := s.Open(ctx, k); err == nil || errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Open(%q) = %v, want invalid key", k, err)
			}
		}
	})

	t.Run("concurrent writers never expose partial objects", func(t *testing.T) {
		k := "race/obj.bin"
		a := bytes.Repeat([]byte{'a'}, 1<<18)
		b := bytes.Repeat([]byte{'b'}, 1<<18)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				data := a
				if i%2 == 1 {
					data = b
				}
				if err := blob.PutBytes(ctx, s, k, data); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := blob.GetBytes(ctx, s, k)
		if err != nil || !(bytes.Equal(got, a) || bytes.Equal(got, b)) {
			t.Fatalf("object is a mix or partial (%d bytes): %v", len(got), err)
		}
	})
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("source broke")
	}
	f.n -= len(p)
	return len(p), nil
}

func TestFileFailedPutLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := blob.NewFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := blob.PutBytes(ctx, s, "a/obj", []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "a/obj", &failingReader{n: 1 << 16}, -1); err == nil {
		t.Fatal("Put from a failing reader succeeded")
	}
	got, err := blob.GetBytes(ctx, s, "a/obj")
	if err != nil || string(got) != "old" {
		t.Fatalf("old object damaged: %q, %v", got, err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "a"))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := blob.Open(ctx, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.String() != "file://"+dir {
		t.Errorf("String = %s", s)
	}
	for _, bad := range []string{"ftp://x", "s3://?endpoint=x:1", "s3://bucket", "file://", "s3://b?endpoint=h:1&secure=maybe"} {
		if _, err := blob.Open(ctx, bad); err == nil {
			t.Errorf("Open(%q) accepted", bad)
		}
	}
	url := testenv.S3URL(t)
	s3, err := blob.Open(ctx, url)
	if err != nil {
		t.Fatalf("Open(%s): %v", url, err)
	}
	if err := blob.PutBytes(ctx, s3, "k/v", []byte("v")); err != nil {
		t.Fatal(err)
	}
}
