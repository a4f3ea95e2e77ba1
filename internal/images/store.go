package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// stores for single-host installs and tests
	_ "gocloud.dev/blob/memblob"  // mem:// stores for tests and demos
	"gocloud.dev/gcerrors"
)

// ErrNotFound is matched (errors.Is) by Open's error when the key holds
// nothing.
var ErrNotFound = errors.New("images: not found")

// ErrInvalidKey is matched by errors about a hash or key that is not one
// this package builds: never a path a request could smuggle in.
var ErrInvalidKey = errors.New("images: invalid key")

// cleanupTimeout bounds the deletes that undo a failed Save; they run even
// when the caller's context is already cancelled.
const cleanupTimeout = 30 * time.Second

// Cache-Control of every stored blob: identity documents must never sit in
// a shared cache.
const cacheControl = "private"

// Store keeps originals, display images and thumbnails in a blob bucket,
// under keys derived from the SHA-256 of the original only.
//
// Keys are shared by identical uploads (content-addressed), so deleting an
// upload another case still uses removes it for both: the caller, which
// records uploads in the database, decides when a hash is no longer
// referenced before calling Delete.
type Store struct {
	bucket *blob.Bucket
}

// OpenStore opens the bucket at url with gocloud.dev's blob.OpenBucket.
//
// Supported here: "mem://" (in memory) and "file:///absolute/dir". For
// file:// the directory is created if missing (mode 0700), a relative path
// or a host part ("file://data/x" silently meaning "/x") is refused, and,
// unless the URL says otherwise, sub-directories are created 0700
// (dir_file_mode) and temporary files are written inside the store rather
// than in the shared os.TempDir (no_tmp_dir), which also keeps the final
// rename on one file system.
//
// Other schemes need their driver linked into the binary: for
// "s3://bucket?region=…&endpoint=…" the application imports
// gocloud.dev/blob/s3blob; this package deliberately does not, to keep
// cloud SDKs out of binaries that do not use them.
func OpenStore(ctx context.Context, rawURL string) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("images: open store: the store URL cannot be parsed: %w", err)
	}
	if u.Scheme == "file" {
		if rawURL, err = prepareFileURL(u); err != nil {
			return nil, err
		}
	}
	b, err := blob.OpenBucket(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("images: open store %s: %w", redactURL(u), err)
	}
	return &Store{bucket: b}, nil
}

// prepareFileURL validates a file:// URL, creates its directory and returns
// the URL with this package's defaults added.
func prepareFileURL(u *url.URL) (string, error) {
	shown := redactURL(u)
	switch {
	case u.Host == ".":
		return "", fmt.Errorf("images: open store %s: the directory must be an absolute path, e.g. file:///var/lib/kycdesk/images", shown)
	case u.Host != "" && u.Host != "localhost":
		return "", fmt.Errorf("images: open store %s: %q would be read as a host name and ignored; write file:///%s%s for an absolute path", shown, u.Host, u.Host, u.Path)
	case u.Path == "" || !filepath.IsAbs(filepath.FromSlash(u.Path)):
		return "", fmt.Errorf("images: open store %s: the directory must be an absolute path, e.g. file:///var/lib/kycdesk/images", shown)
	}
	dir := filepath.Clean(filepath.FromSlash(u.Path))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("images: open store %s: create directory: %w", shown, err)
	}
	q := u.Query()
	if !q.Has("dir_file_mode") {
		q.Set("dir_file_mode", "0700")
	}
	if !q.Has("no_tmp_dir") {
		q.Set("no_tmp_dir", "1")
	}
	v := *u
	v.RawQuery = q.Encode()
	return v.String(), nil
}

// redactURL shows scheme, host and path only: query parameters of cloud
// URLs may carry credentials.
func redactURL(u *url.URL) string {
	v := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	return v.String()
}

// NewStoreFromBucket wraps a bucket the caller opened; Close closes it.
func NewStoreFromBucket(b *blob.Bucket) *Store { return &Store{bucket: b} }

// Close closes the bucket.
func (s *Store) Close() error {
	if err := s.bucket.Close(); err != nil {
		return fmt.Errorf("images: close store: %w", err)
	}
	return nil
}

// ValidSHA256 reports whether sha is 64 lowercase hex digits, the only form
// keys are built from.
func ValidSHA256(sha string) bool {
	if len(sha) != 64 {
		return false
	}
	for i := range len(sha) {
		c := sha[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func checkSHA(sha string) error {
	if !ValidSHA256(sha) {
		return fmt.Errorf("%w: %q is not a lowercase hex SHA-256", ErrInvalidKey, truncate(sha, 80))
	}
	return nil
}

// OriginalKey is the key of the original bytes: "originals/ab/abcd…".
func OriginalKey(sha string) (string, error) {
	if err := checkSHA(sha); err != nil {
		return "", err
	}
	return "originals/" + sha[:2] + "/" + sha, nil
}

// DisplayKey is the key of the display JPEG: "display/ab/abcd….jpg".
func DisplayKey(sha string) (string, error) {
	if err := checkSHA(sha); err != nil {
		return "", err
	}
	return "display/" + sha[:2] + "/" + sha + ".jpg", nil
}

// ThumbKey is the key of the thumbnail JPEG: "thumbs/ab/abcd….jpg".
func ThumbKey(sha string) (string, error) {
	if err := checkSHA(sha); err != nil {
		return "", err
	}
	return "thumbs/" + sha[:2] + "/" + sha + ".jpg", nil
}

// checkKey accepts exactly the keys the Key functions build.
func checkKey(key string) error {
	bad := fmt.Errorf("%w: %q is not an image key", ErrInvalidKey, truncate(key, 120))
	dir, rest, ok := strings.Cut(key, "/")
	if !ok {
		return bad
	}
	var build func(string) (string, error)
	sha := ""
	if len(rest) >= 3 {
		sha = rest[3:]
	}
	switch dir {
	case "originals":
		build = OriginalKey
	case "display":
		build, sha = DisplayKey, strings.TrimSuffix(sha, ".jpg")
	case "thumbs":
		build, sha = ThumbKey, strings.TrimSuffix(sha, ".jpg")
	default:
		return bad
	}
	if want, err := build(sha); err != nil || want != key {
		return bad
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Attrs describes a stored blob.
type Attrs struct {
	// Size in bytes.
	Size int64
	// ContentType as stored by Save.
	ContentType string
	// ModTime is when the blob was written.
	ModTime time.Time
}

// piece is one blob Save writes.
type piece struct {
	key         string
	data        []byte
	contentType string
}

// Save stores the original, and for an image the display and thumbnail
// JPEGs. A key that already exists is not written again (same hash, same
// bytes). If a write fails, Save deletes what it wrote itself, so nothing
// half-stored remains, and returns the error; blobs that were already
// there are left alone.
func (s *Store) Save(ctx context.Context, up *Upload) error {
	pieces, err := planSave(up)
	if err != nil {
		return err
	}
	var written, skipped []string
	for _, p := range pieces {
		exists, err := s.bucket.Exists(ctx, p.key)
		if err != nil {
			return s.undo(ctx, written, fmt.Errorf("images: save %s: check %s: %w", up.SHA256, p.key, err))
		}
		if exists {
			skipped = append(skipped, p.key)
			continue
		}
		if err := s.write(ctx, p); err != nil {
			// The failed key may exist partly on some stores: remove it too.
			return s.undo(ctx, append(written, p.key), fmt.Errorf("images: save %s: write %s: %w", up.SHA256, p.key, err))
		}
		written = append(written, p.key)
	}
	// A concurrent Save of the same bytes that failed may have undone a
	// blob this call skipped as present: check once more and fill the gap,
	// so a successful Save means all its blobs are there.
	for _, key := range skipped {
		exists, err := s.bucket.Exists(ctx, key)
		if err != nil {
			return s.undo(ctx, written, fmt.Errorf("images: save %s: check %s: %w", up.SHA256, key, err))
		}
		if exists {
			continue
		}
		for _, p := range pieces {
			if p.key != key {
				continue
			}
			if err := s.write(ctx, p); err != nil {
				return s.undo(ctx, append(written, p.key), fmt.Errorf("images: save %s: write %s: %w", up.SHA256, p.key, err))
			}
			written = append(written, p.key)
		}
	}
	return nil
}

// Present reports whether every blob Save writes for up is in the store.
func (s *Store) Present(ctx context.Context, up *Upload) (bool, error) {
	pieces, err := planSave(up)
	if err != nil {
		return false, err
	}
	for _, p := range pieces {
		ok, err := s.bucket.Exists(ctx, p.key)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// planSave checks the upload and lists the blobs to write, original first.
func planSave(up *Upload) ([]piece, error) {
	if up == nil || len(up.Original) == 0 {
		return nil, errors.New("images: save: nothing to store")
	}
	if err := checkSHA(up.SHA256); err != nil {
		return nil, fmt.Errorf("images: save: %w", err)
	}
	// The key promises the content; an Upload assembled by hand with a
	// wrong hash would file bytes under another document's name.
	if sum := sha256.Sum256(up.Original); hex.EncodeToString(sum[:]) != up.SHA256 {
		return nil, fmt.Errorf("images: save: %w: the hash %s does not match the original bytes", ErrInvalidKey, up.SHA256)
	}
	ct := up.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	okey, _ := OriginalKey(up.SHA256)
	pieces := []piece{{key: okey, data: up.Original, contentType: ct}}
	if len(up.Display) > 0 {
		k, _ := DisplayKey(up.SHA256)
		pieces = append(pieces, piece{key: k, data: up.Display, contentType: TypeJPEG})
	}
	if len(up.Thumb) > 0 {
		k, _ := ThumbKey(up.SHA256)
		pieces = append(pieces, piece{key: k, data: up.Thumb, contentType: TypeJPEG})
	}
	return pieces, nil
}

func (s *Store) write(ctx context.Context, p piece) error {
	return s.bucket.WriteAll(ctx, p.key, p.data, &blob.WriterOptions{
		ContentType:  p.contentType,
		CacheControl: cacheControl,
	})
}

// undo deletes keys after a failed Save and returns cause, joined with any
// delete failure so the caller knows something may remain.
func (s *Store) undo(ctx context.Context, keys []string, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	errs := []error{cause}
	for _, key := range keys {
		if err := s.bucket.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			errs = append(errs, fmt.Errorf("images: undo %s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// Open returns a reader on the blob at key, which must be a key built by
// OriginalKey, DisplayKey or ThumbKey. The caller closes the reader.
func (s *Store) Open(ctx context.Context, key string) (io.ReadCloser, Attrs, error) {
	if err := checkKey(key); err != nil {
		return nil, Attrs{}, fmt.Errorf("images: open: %w", err)
	}
	r, err := s.bucket.NewReader(ctx, key, nil)
	if err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return nil, Attrs{}, fmt.Errorf("images: open %s: %w", key, ErrNotFound)
		}
		return nil, Attrs{}, fmt.Errorf("images: open %s: %w", key, err)
	}
	return r, Attrs{Size: r.Size(), ContentType: r.ContentType(), ModTime: r.ModTime()}, nil
}

// Delete removes the original, display and thumbnail blobs of sha. Missing
// blobs are not an error, so Delete can be retried.
func (s *Store) Delete(ctx context.Context, sha string) error {
	if err := checkSHA(sha); err != nil {
		return fmt.Errorf("images: delete: %w", err)
	}
	var errs []error
	for _, build := range []func(string) (string, error){OriginalKey, DisplayKey, ThumbKey} {
		key, _ := build(sha)
		if err := s.bucket.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			errs = append(errs, fmt.Errorf("images: delete %s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}
