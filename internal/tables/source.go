package tables

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/netopsfn/netops/internal/fault"
)

// Source is the io.ReaderAt a Parquet file is read through. It remembers whether reading the bytes
// failed (the store went away mid-read), so that a failure can be told apart from bad bytes: the
// first is retryable, the second permanent. Treating both as "corrupt parquet" would dead-letter an
// event because MinIO restarted.
type Source struct {
	r    io.ReaderAt
	size int64

	mu  sync.Mutex
	err error
}

// NewSource wraps r, an object of size bytes.
func NewSource(r io.ReaderAt, size int64) *Source { return &Source{r: r, size: size} }

// ReadAt reads from the object, recording any error other than io.EOF.
func (s *Source) ReadAt(p []byte, off int64) (int, error) {
	n, err := s.r.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		s.mu.Lock()
		if s.err == nil {
			s.err = err
		}
		s.mu.Unlock()
	}
	return n, err
}

// Err returns the first read error of the object, or nil.
func (s *Source) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Fail classifies a failure while decoding the file: retryable, naming the read error, when
// reading the object failed; permanent ("corrupt parquet") otherwise.
func (s *Source) Fail(err error) error {
	if ioErr := s.Err(); ioErr != nil {
		return fmt.Errorf("read parquet: %w", ioErr)
	}
	return fault.Permanent(fmt.Errorf("corrupt parquet: %w", err))
}

// Open opens the Parquet file. It checks the footer length against the object's size first:
// parquet-go allocates whatever the last bytes claim, so a 12-byte object could ask for gigabytes.
func (s *Source) Open() (f *parquet.File, err error) {
	defer func() {
		if p := recover(); p != nil { // parquet-go panics on some malformed inputs
			f, err = nil, s.Fail(fmt.Errorf("%v", p))
		}
	}()
	const tail = 8 // 4-byte footer length, then "PAR1"
	if s.size < 12 {
		return nil, fault.Permanent(fmt.Errorf("corrupt parquet: %d bytes, too short for a Parquet file", s.size))
	}
	var b [tail]byte
	// io.ReaderAt may report io.EOF with a full read that ends at the end of the input.
	if n, err := s.ReadAt(b[:], s.size-tail); n < tail {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, s.Fail(err)
	}
	if string(b[4:]) != "PAR1" {
		return nil, fault.Permanent(errors.New("corrupt parquet: no PAR1 magic at the end"))
	}
	if n := int64(binary.LittleEndian.Uint32(b[:4])); n > s.size-12 {
		return nil, fault.Permanent(fmt.Errorf("corrupt parquet: footer of %d bytes in a %d-byte object", n, s.size))
	}
	f, err = parquet.OpenFile(s, s.size)
	if err != nil {
		return nil, s.Fail(err)
	}
	return f, nil
}
