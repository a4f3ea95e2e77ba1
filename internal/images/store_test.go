package images

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

func testUpload(t testing.TB, seed uint64) *Upload {
	t.Helper()
	up, err := Process("front.jpg", encodeJPEGT(t, photoImage(500, 340, seed), 85), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	return up
}

func keysOf(t testing.TB, sha string) (orig, disp, thumb string) {
	t.Helper()
	var err error
	if orig, err = OriginalKey(sha); err != nil {
		t.Fatal(err)
	}
	disp, _ = DisplayKey(sha)
	thumb, _ = ThumbKey(sha)
	return orig, disp, thumb
}

func readKey(t testing.TB, s *Store, key string) ([]byte, Attrs) {
	t.Helper()
	r, attrs, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("Open(%s): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b, attrs
}

// stores runs f on a file store in a temporary directory and on an
// in-memory store.
func stores(t *testing.T, f func(t *testing.T, s *Store)) {
	t.Run("fileblob", func(t *testing.T) {
		s, err := OpenStore(context.Background(), "file://"+filepath.ToSlash(t.TempDir())+"/store")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		f(t, s)
	})
	t.Run("memblob", func(t *testing.T) {
		s, err := OpenStore(context.Background(), "mem://")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		f(t, s)
	})
}

func TestStoreRoundTrip(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		up := testUpload(t, 1)
		if err := s.Save(ctx, up); err != nil {
			t.Fatal(err)
		}
		orig, disp, thumb := keysOf(t, up.SHA256)
		for _, tt := range []struct {
			key  string
			want []byte
			ct   string
		}{
			{orig, up.Original, TypeJPEG},
			{disp, up.Display, TypeJPEG},
			{thumb, up.Thumb, TypeJPEG},
		} {
			got, attrs := readKey(t, s, tt.key)
			if !bytes.Equal(got, tt.want) {
				t.Errorf("%s: read %d bytes, want the %d saved", tt.key, len(got), len(tt.want))
			}
			if attrs.Size != int64(len(tt.want)) || attrs.ContentType != tt.ct || attrs.ModTime.IsZero() {
				t.Errorf("%s: attrs %+v", tt.key, attrs)
			}
			a, err := s.bucket.Attributes(ctx, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if a.CacheControl != "private" {
				t.Errorf("%s: Cache-Control %q, want private", tt.key, a.CacheControl)
			}
		}

		if err := s.Delete(ctx, up.SHA256); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{orig, disp, thumb} {
			if _, _, err := s.Open(ctx, key); !errors.Is(err, ErrNotFound) {
				t.Errorf("after Delete, Open(%s) = %v, want ErrNotFound", key, err)
			}
		}
		if err := s.Delete(ctx, up.SHA256); err != nil {
			t.Errorf("second Delete: %v", err)
		}
	})
}

func TestStorePDFHasOnlyOriginal(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		up, err := Process("statement.pdf", []byte(minimalPDF), Limits{AllowPDF: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, up); err != nil {
			t.Fatal(err)
		}
		orig, disp, thumb := keysOf(t, up.SHA256)
		if got, attrs := readKey(t, s, orig); string(got) != minimalPDF || attrs.ContentType != TypePDF {
			t.Errorf("original %q as %s", got, attrs.ContentType)
		}
		for _, key := range []string{disp, thumb} {
			if _, _, err := s.Open(ctx, key); !errors.Is(err, ErrNotFound) {
				t.Errorf("Open(%s) = %v, want ErrNotFound", key, err)
			}
		}
		if err := s.Delete(ctx, up.SHA256); err != nil {
			t.Errorf("Delete of a PDF: %v", err)
		}
	})
}

// TestStoreDedup: a second Save of the same bytes writes nothing, which
// shows as the sentinel planted in place of the thumbnail surviving.
func TestStoreDedup(t *testing.T) {
	stores(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		up := testUpload(t, 2)
		if err := s.Save(ctx, up); err != nil {
			t.Fatal(err)
		}
		_, _, thumb := keysOf(t, up.SHA256)
		if err := s.bucket.WriteAll(ctx, thumb, []byte("sentinel"), nil); err != nil {
			t.Fatal(err)
		}
		again := testUpload(t, 2)
		if again.SHA256 != up.SHA256 {
			t.Fatal("same bytes, different hash")
		}
		if err := s.Save(ctx, again); err != nil {
			t.Fatal(err)
		}
		if got, _ := readKey(t, s, thumb); string(got) != "sentinel" {
			t.Error("the second Save rewrote an existing key")
		}
	})
}

// TestStoreSaveRestoresVanishedBlob: when a blob that Save skipped as
// present is gone by the end (a concurrent Save of the same bytes failed
// and undid it), Save writes it again.
func TestStoreSaveRestoresVanishedBlob(t *testing.T) {
	ctx := context.Background()
	mem := memblob.OpenBucket(nil)
	up := testUpload(t, 3)
	orig, _, _ := keysOf(t, up.SHA256)
	fb := &faultyBucket{b: mem}
	if err := mem.WriteAll(ctx, orig, up.Original, nil); err != nil {
		t.Fatal(err)
	}
	// The original vanishes right after Save has seen it.
	fb.afterAttributes = func(key string) {
		if key == orig {
			fb.afterAttributes = nil
			_ = mem.Delete(ctx, orig)
		}
	}
	s := NewStoreFromBucket(blob.NewBucket(fb))
	defer s.Close()
	if err := s.Save(ctx, up); err != nil {
		t.Fatal(err)
	}
	if got, _ := readKey(t, s, orig); !bytes.Equal(got, up.Original) {
		t.Error("the vanished original was not written again")
	}
}

func TestStoreCleanupOnFailedWrite(t *testing.T) {
	ctx := context.Background()
	up := testUpload(t, 4)
	orig, disp, thumb := keysOf(t, up.SHA256)

	tests := []struct {
		name      string
		failOn    string // key prefix whose write fails
		afterData bool   // the failing write stores its data, then reports an error
		preexist  []string
		wantLeft  []string
	}{
		{"display fails", "display/", false, nil, nil},
		{"thumb fails", "thumbs/", false, nil, nil},
		{"thumb fails after storing", "thumbs/", true, nil, nil},
		{"original fails", "originals/", false, nil, nil},
		{"thumb fails, original was there", "thumbs/", false, []string{orig}, []string{orig}},
		{"display fails, others were there", "display/", false, []string{orig, thumb}, []string{orig, thumb}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memblob.OpenBucket(nil)
			for _, key := range tt.preexist {
				if err := mem.WriteAll(ctx, key, []byte("earlier"), nil); err != nil {
					t.Fatal(err)
				}
			}
			s := NewStoreFromBucket(blob.NewBucket(&faultyBucket{b: mem, failWrite: tt.failOn, failAfterData: tt.afterData}))
			defer s.Close()
			err := s.Save(ctx, up)
			if err == nil || !strings.Contains(err.Error(), "injected") {
				t.Fatalf("Save = %v, want the injected failure", err)
			}
			for _, key := range []string{orig, disp, thumb} {
				exists, err := mem.Exists(ctx, key)
				if err != nil {
					t.Fatal(err)
				}
				want := false
				for _, k := range tt.wantLeft {
					want = want || k == key
				}
				if exists != want {
					t.Errorf("%s exists = %v, want %v", key, exists, want)
				}
			}
		})
	}
}

// TestStoreCleanupFileblob breaks a real file store: a plain file where the
// thumbnail directory should be makes the last write fail.
func TestStoreCleanupFileblob(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := OpenStore(ctx, "file://"+filepath.ToSlash(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := os.WriteFile(filepath.Join(dir, "thumbs"), []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	up := testUpload(t, 5)
	if err := s.Save(ctx, up); err == nil {
		t.Fatal("Save succeeded with the thumbnail directory blocked")
	}
	orig, disp, _ := keysOf(t, up.SHA256)
	for _, key := range []string{orig, disp} {
		if _, _, err := s.Open(ctx, key); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s left behind: %v", key, err)
		}
	}
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && p != filepath.Join(dir, "thumbs") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) > 0 {
		t.Errorf("files left after a failed Save: %v", files)
	}
}

func TestStoreSaveRefusesBadUploads(t *testing.T) {
	s := NewStoreFromBucket(memblob.OpenBucket(nil))
	defer s.Close()
	good := testUpload(t, 6)
	wrongHash := *good
	wrongHash.SHA256 = strings.Repeat("ab", 32)
	traversal := *good
	traversal.SHA256 = "../../../../etc/passwd"
	for name, up := range map[string]*Upload{
		"nil":        nil,
		"empty":      {SHA256: good.SHA256},
		"wrong hash": &wrongHash,
		"traversal":  &traversal,
	} {
		if err := s.Save(context.Background(), up); err == nil {
			t.Errorf("%s: Save accepted it", name)
		}
	}
}

func TestKeys(t *testing.T) {
	sha := "0f" + strings.Repeat("a1", 31)
	tests := []struct {
		sha                  string
		orig, display, thumb string
	}{
		{sha, "originals/0f/" + sha, "display/0f/" + sha + ".jpg", "thumbs/0f/" + sha + ".jpg"},
		{"../../etc/passwd", "", "", ""},
		{strings.ToUpper(sha), "", "", ""},
		{sha[:63], "", "", ""},
		{sha + "0", "", "", ""},
		{"../" + sha[3:], "", "", ""},
		{sha[:62] + "/x", "", "", ""},
		{sha[:63] + "g", "", "", ""},
		{"", "", "", ""},
	}
	for _, tt := range tests {
		for i, f := range []func(string) (string, error){OriginalKey, DisplayKey, ThumbKey} {
			want := []string{tt.orig, tt.display, tt.thumb}[i]
			got, err := f(tt.sha)
			if want == "" {
				if err == nil || !errors.Is(err, ErrInvalidKey) {
					t.Errorf("key %d of %q = %q, %v; want ErrInvalidKey", i, tt.sha, got, err)
				}
				continue
			}
			if err != nil || got != want {
				t.Errorf("key %d of %q = %q, %v; want %q", i, tt.sha, got, err, want)
			}
		}
	}
}

func TestOpenRefusesForeignKeys(t *testing.T) {
	ctx := context.Background()
	mem := memblob.OpenBucket(nil)
	_ = mem.WriteAll(ctx, "secrets/keys.json", []byte("{}"), nil)
	s := NewStoreFromBucket(mem)
	defer s.Close()
	sha := strings.Repeat("c3", 32)
	for _, key := range []string{
		"secrets/keys.json",
		"../secrets/keys.json",
		"originals/c3/../../secrets/keys.json",
		"originals/aa/" + sha, // prefix does not match the hash
		"originals/c3/" + sha + ".jpg",
		"display/c3/" + sha, // display keys end in .jpg
		"thumbs/c3/" + strings.ToUpper(sha) + ".jpg",
		"/originals/c3/" + sha,
		"originals",
		"",
	} {
		if _, _, err := s.Open(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Open(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	if _, _, err := s.Open(ctx, "originals/c3/"+sha); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open of a missing valid key = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "../x"); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Delete(../x) = %v, want ErrInvalidKey", err)
	}
}

func TestOpenStore(t *testing.T) {
	ctx := context.Background()
	base := filepath.ToSlash(t.TempDir())

	s, err := OpenStore(ctx, "file://"+base+"/new/images")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, testUpload(t, 7)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, d := range []string{"new/images", "new/images/originals", "new/images/display/"} {
		fi, err := os.Stat(filepath.Join(filepath.FromSlash(base), d))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s has mode %v, want 0700", d, fi.Mode().Perm())
		}
	}

	for _, tt := range []struct{ url, contains string }{
		{"file://./relative/dir", "absolute path"},
		{"file://data/images", "host name"},
		{"file://", "absolute path"},
		{"file:relative", "absolute path"},
		{"s3://bucket?region=eu-west-1&no_such_option=1", "no_such_option"},
		{"nope://x", "nope"},
		{"file:///" + strings.TrimPrefix(base, "/") + "/x?unknown_param=1", "unknown_param"},
	} {
		if s, err := OpenStore(ctx, tt.url); err == nil {
			s.Close()
			t.Errorf("OpenStore(%q) succeeded", tt.url)
		} else if !strings.Contains(err.Error(), tt.contains) {
			t.Errorf("OpenStore(%q) = %v, want mention of %q", tt.url, err, tt.contains)
		}
	}
}

// faultyBucket is a driver.Bucket over a real *blob.Bucket that fails
// chosen writes, to prove Save cleans up after itself.
type faultyBucket struct {
	b               *blob.Bucket
	failWrite       string // key prefix whose writes fail
	failAfterData   bool   // store the data first, then report failure
	afterAttributes func(key string)
	mu              sync.Mutex
}

func (f *faultyBucket) ErrorCode(err error) gcerrors.ErrorCode { return gcerrors.Code(err) }
func (f *faultyBucket) As(any) bool                            { return false }
func (f *faultyBucket) ErrorAs(error, any) bool                { return false }

func (f *faultyBucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	a, err := f.b.Attributes(ctx, key)
	f.mu.Lock()
	hook := f.afterAttributes
	f.mu.Unlock()
	if hook != nil {
		hook(key)
	}
	if err != nil {
		return nil, err
	}
	return &driver.Attributes{
		CacheControl: a.CacheControl, ContentType: a.ContentType, Metadata: a.Metadata,
		ModTime: a.ModTime, Size: a.Size, MD5: a.MD5, ETag: a.ETag,
	}, nil
}

func (f *faultyBucket) ListPaged(context.Context, *driver.ListOptions) (*driver.ListPage, error) {
	return nil, errors.New("faultyBucket: list not supported")
}

func (f *faultyBucket) NewRangeReader(ctx context.Context, key string, off, n int64, _ *driver.ReaderOptions) (driver.Reader, error) {
	r, err := f.b.NewRangeReader(ctx, key, off, n, nil)
	if err != nil {
		return nil, err
	}
	return faultyReader{r}, nil
}

func (f *faultyBucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	if f.failWrite != "" && strings.HasPrefix(key, f.failWrite) && !f.failAfterData {
		return nil, errors.New("injected write failure")
	}
	w, err := f.b.NewWriter(ctx, key, &blob.WriterOptions{ContentType: contentType, CacheControl: opts.CacheControl})
	if err != nil {
		return nil, err
	}
	fail := f.failWrite != "" && strings.HasPrefix(key, f.failWrite)
	return &faultyWriter{w: w, fail: fail}, nil
}

func (f *faultyBucket) Copy(context.Context, string, string, *driver.CopyOptions) error {
	return errors.New("faultyBucket: copy not supported")
}

func (f *faultyBucket) Delete(ctx context.Context, key string, _ *driver.DeleteOptions) error {
	return f.b.Delete(ctx, key)
}

func (f *faultyBucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", errors.New("faultyBucket: signed URLs not supported")
}

func (f *faultyBucket) Close() error { return f.b.Close() }

type faultyReader struct{ r *blob.Reader }

func (r faultyReader) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r faultyReader) Close() error               { return r.r.Close() }
func (r faultyReader) As(any) bool                { return false }
func (r faultyReader) Attributes() *driver.ReaderAttributes {
	return &driver.ReaderAttributes{ContentType: r.r.ContentType(), ModTime: r.r.ModTime(), Size: r.r.Size()}
}

type faultyWriter struct {
	w    *blob.Writer
	fail bool
}

func (w *faultyWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

func (w *faultyWriter) Close() error {
	if err := w.w.Close(); err != nil {
		return err
	}
	if w.fail {
		return errors.New("injected failure after the data was stored")
	}
	return nil
}
