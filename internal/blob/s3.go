package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 is a Store in an S3 bucket (MinIO in deployments and integration tests).
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
	url    string
}

// S3Config is what an S3 store needs; Open fills it from the URL and the environment.
type S3Config struct {
	Endpoint  string // host:port
	Bucket    string
	Prefix    string // optional key prefix inside the bucket, without trailing slash
	Region    string
	Secure    bool
	AccessKey string
	SecretKey string
}

// envSecret reads NAME, or the file named by NAME_FILE (how OpenFaaS and Kubernetes mount secrets).
func envSecret(name string) (string, error) {
	if v := os.Getenv(name); v != "" {
		return v, nil
	}
	if f := os.Getenv(name + "_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("%s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

func openS3(ctx context.Context, u *url.URL) (Store, error) {
	q := u.Query()
	cfg := S3Config{
		Endpoint: q.Get("endpoint"),
		Bucket:   u.Host,
		Prefix:   strings.Trim(u.Path, "/"),
		Region:   q.Get("region"),
	}
	if cfg.Bucket == "" {
		return nil, errors.New("store URL: s3 URL needs a bucket (s3://bucket?endpoint=host:port)")
	}
	if cfg.Endpoint == "" {
		return nil, errors.New("store URL: s3 URL needs ?endpoint=host:port")
	}
	if s := q.Get("secure"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("store URL: secure=%q: want true or false", s)
		}
		cfg.Secure = b
	}
	var err error
	if cfg.AccessKey, err = envSecret("NETOPS_S3_ACCESS_KEY"); err != nil {
		return nil, err
	}
	if cfg.SecretKey, err = envSecret("NETOPS_S3_SECRET_KEY"); err != nil {
		return nil, err
	}
	return NewS3(ctx, cfg)
}

// NewS3 connects to the bucket, creating it if it does not exist. Without explicit keys it falls
// back to the AWS_* and MINIO_ROOT_* environment variables.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	var creds *credentials.Credentials
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	} else {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{}, &credentials.EnvMinio{},
		})
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{Creds: creds, Secure: cfg.Secure, Region: cfg.Region})
	if err != nil {
		return nil, fmt.Errorf("s3 store %s: %w", cfg.Endpoint, err)
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 store %s/%s: %w", cfg.Endpoint, cfg.Bucket, err)
	}
	if !ok {
		if err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region}); err != nil {
			if resp := minio.ToErrorResponse(err); resp.Code != "BucketAlreadyOwnedByYou" {
				return nil, fmt.Errorf("s3 store: create bucket %s: %w", cfg.Bucket, err)
			}
		}
	}
	scheme := "http"
	if cfg.Secure {
		scheme = "https"
	}
	s := &S3{client: client, bucket: cfg.Bucket, prefix: cfg.Prefix,
		url: fmt.Sprintf("s3://%s/%s (%s://%s)", cfg.Bucket, cfg.Prefix, scheme, cfg.Endpoint)}
	return s, nil
}

// String names the bucket and endpoint.
func (s *S3) String() string { return s.url }

func (s *S3) objectName(key string) (string, error) {
	if err := ValidKey(key); err != nil {
		return "", err
	}
	if s.prefix == "" {
		return key, nil
	}
	return s.prefix + "/" + key, nil
}

// Put uploads the object; S3 makes it visible only when the upload completes.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	name, err := s.objectName(key)
	if err != nil {
		return err
	}
	opts := minio.PutObjectOptions{ContentType: contentType(key)}
	if size < 0 {
		// Unknown size: upload in 16 MiB parts instead of minio-go's default for 5 TiB objects,
		// which would buffer half a gigabyte.
		opts.PartSize = 16 << 20
	}
	_, err = s.client.PutObject(ctx, s.bucket, name, r, size, opts)
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

func contentType(key string) string {
	switch {
	case strings.HasSuffix(key, ".parquet"):
		return "application/vnd.apache.parquet"
	case strings.HasSuffix(key, ".json"):
		return "application/json"
	case strings.HasSuffix(key, ".svg"):
		return "image/svg+xml"
	}
	return "application/octet-stream"
}

type s3Object struct {
	*minio.Object
	size int64
}

func (o s3Object) Size() int64 { return o.size }

// Open stats the object and returns a reader over it.
func (s *S3) Open(ctx context.Context, key string) (Object, error) {
	name, err := s.objectName(key)
	if err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		if code := minio.ToErrorResponse(err).Code; code == "NoSuchKey" || code == "NotFound" {
			return nil, notFound(key)
		}
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	return s3Object{obj, st.Size}, nil
}

// List lists the bucket recursively under the prefix.
func (s *S3) List(ctx context.Context, prefix string) ([]Info, error) {
	full := prefix
	if s.prefix != "" {
		full = s.prefix + "/" + prefix
	}
	var out []Info
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: full, Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("list %q: %w", prefix, o.Err)
		}
		key := o.Key
		if s.prefix != "" {
			key = strings.TrimPrefix(key, s.prefix+"/")
		}
		out = append(out, Info{Key: key, Size: o.Size, Modified: o.LastModified})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete removes the object.
func (s *S3) Delete(ctx context.Context, key string) error {
	name, err := s.objectName(key)
	if err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}
