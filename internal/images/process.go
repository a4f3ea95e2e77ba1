// Package images validates and prepares the image files reviewers and the
// onboarding front end upload for a case (the front, back or selfie image of
// a customer's document) and keeps them in a content-addressed blob store.
//
// Process decides from the bytes alone whether an upload is acceptable: the
// type is sniffed from the content (never from the file name or a declared
// Content-Type), image dimensions are checked against a pixel budget and a
// shortest side before any pixel buffer is allocated, and the image must
// decode completely. An accepted JPEG or PNG gets two derived JPEGs that
// carry no metadata at all (no EXIF, no GPS position, no maker notes): an
// upright "display" image for the viewer and for vendor calls, and a small
// thumbnail. The original bytes are kept untouched for audit.
//
// Store keeps the original and the derived images under keys built from the
// SHA-256 of the original bytes only, so a user's file name never reaches
// the store. The package knows nothing of HTTP or the database: the caller
// records the Upload's metadata (hash, type, size, dimensions) itself.
package images

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"

	"github.com/gabriel-vasile/mimetype"
	"golang.org/x/sync/semaphore"
)

// Content types Process accepts and reports in Upload.ContentType.
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypePDF  = "application/pdf"
)

// Sizes and qualities of the derived images.
const (
	// ThumbMaxSide is the longest side of a thumbnail in pixels; smaller
	// images are not enlarged.
	ThumbMaxSide = 320
	// DisplayMaxSide is the longest side of the display image in pixels;
	// smaller images keep their size.
	DisplayMaxSide = 2400
	// ThumbQuality is the JPEG quality of thumbnails.
	ThumbQuality = 82
	// DisplayQuality is the JPEG quality of display images: high enough for
	// vendors' OCR and face matching to see what the camera saw.
	DisplayQuality = 88
)

// Default limits returned by DefaultLimits.
const (
	DefaultMaxBytes  int64 = 10 << 20
	DefaultMaxPixels int64 = 40_000_000
	// DefaultMaxDecodedBytes bounds the memory one image takes to decode (see decodedSize): a
	// 40-megapixel photo of 8-bit colour, or a 12-megapixel progressive JPEG, fits; a
	// 40-megapixel 16-bit PNG (320 MB, from a file of a few hundred KB) does not.
	DefaultMaxDecodedBytes int64 = 256 << 20
	// DefaultMinSide is the shortest side, in pixels, an image must have. It is a floor below
	// which an image cannot be read at all, not a quality target (the vendors judge quality and
	// say so: Apptenticate 818 and 822, OOTO 209), so it is set low enough never to refuse an
	// image a vendor could use. None of the five vendors publishes a minimum resolution.
	//   - A document: an ID-1 card's 54 mm over 320 pixels is about 150 dpi, where the machine-
	//     readable zone's OCR-B characters (about 2.4 mm) are some 14 pixels tall, about the
	//     least OCR reads; the Apptenticate client will not downscale below 320 pixels for the
	//     same reason.
	//   - A selfie: a face filling half of a 320-pixel side is 160 pixels wide, more than the
	//     112-pixel crops face matchers compare.
	//   - Cameras take more: a VGA frame (640 × 480), the smallest a webcam or a liveness SDK
	//     commonly sends, passes with room to spare; phones take 1080 pixels and up.
	DefaultMinSide = 320
)

// Limits bounds what Process accepts. A zero MaxBytes or MaxPixels means the
// default.
//
// Memory is bounded twice: an image whose decoding would take more than
// MaxDecodedBytes is refused before it is decoded (the bytes per pixel
// depend on the colour model and, for a JPEG, on a progressive frame), and
// the decodings under way in the process share DecodeBudget: an upload
// waits for its share rather than push the process past its memory.
type Limits struct {
	// MaxBytes is the largest file accepted, in bytes.
	MaxBytes int64
	// MaxPixels is the largest width × height accepted, read from the
	// image header before decoding.
	MaxPixels int64
	// MaxDecodedBytes is the most memory decoding one image may take, as
	// decodedSize reckons it from the header.
	MaxDecodedBytes int64
	// MinSide is the shortest side, in pixels, an image must have (a
	// PDF has no pixels and is not held to it). A 10 × 10 selfie shows a
	// reviewer and a vendor nothing.
	MinSide int
	// AllowPDF accepts PDF documents (stored as they are, without derived
	// images).
	AllowPDF bool
}

// DefaultLimits returns 10 MB, 40 megapixels, 320 pixels on the shortest
// side, and no PDF.
func DefaultLimits() Limits {
	return Limits{MaxBytes: DefaultMaxBytes, MaxPixels: DefaultMaxPixels, MinSide: DefaultMinSide}
}

// MinImageSide is the shortest side an image must have under l: MinSide,
// or its default.
func (l Limits) MinImageSide() int { return l.withDefaults().MinSide }

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxDecodedBytes <= 0 {
		l.MaxDecodedBytes = DefaultMaxDecodedBytes
	}
	l.MaxDecodedBytes = min(l.MaxDecodedBytes, DecodeBudget)
	if l.MinSide <= 0 {
		l.MinSide = DefaultMinSide
	}
	return l
}

// Upload is an accepted file ready to be stored.
type Upload struct {
	// SHA256 is the lowercase hex SHA-256 of Original; it names the blobs.
	SHA256 string
	// ContentType is TypeJPEG, TypePNG or TypePDF, as sniffed from the bytes.
	ContentType string
	// Size is len(Original).
	Size int64
	// Width and Height are those of the upright image (after the EXIF
	// orientation is applied); zero for a PDF.
	Width, Height int
	// Original holds the uploaded bytes, untouched: it is the slice given
	// to Process, not a copy, so the caller must not reuse that buffer.
	Original []byte
	// Display is the upright JPEG without metadata, longest side at most
	// DisplayMaxSide; nil for a PDF.
	Display []byte
	// Thumb is the upright JPEG thumbnail without metadata, longest side at
	// most ThumbMaxSide; nil for a PDF.
	Thumb []byte
	// Orientation is the EXIF orientation (1 to 8) that was applied; 1 when
	// the image has none or it is unreadable, 0 for a PDF.
	Orientation int
	// SafeName is the uploaded file name made safe to show (see
	// SanitizeName). It is never used to build a storage key.
	SafeName string
}

// RejectCode classifies a refusal so an HTTP layer can pick a status
// (413 for RejectTooLarge, 415 for RejectType and RejectPDF, 422 otherwise).
type RejectCode string

// Reasons Process refuses a file.
const (
	RejectEmpty         RejectCode = "empty"
	RejectTooLarge      RejectCode = "too_large"
	RejectType          RejectCode = "unsupported_type"
	RejectPDF           RejectCode = "pdf_not_allowed"
	RejectAnimated      RejectCode = "animated"
	RejectTooManyPixels RejectCode = "too_many_pixels"
	RejectTooSmall      RejectCode = "too_small"
	RejectNoPixels      RejectCode = "no_pixels"
	RejectDamaged       RejectCode = "damaged"
	RejectDamagedPDF    RejectCode = "damaged_pdf"
)

// RejectError is why Process refused a file, in words a reviewer or a
// customer can read.
type RejectError struct {
	// File is the sanitised file name.
	File string
	// Reason says what is wrong, in plain words.
	Reason string
	// Code classifies the refusal.
	Code RejectCode
}

// Error reads like "passport.jpg: the file is empty".
func (e *RejectError) Error() string { return e.File + ": " + e.Reason }

func reject(file string, code RejectCode, format string, args ...any) *RejectError {
	return &RejectError{File: file, Code: code, Reason: fmt.Sprintf(format, args...)}
}

// Process validates an uploaded file and prepares it for storage. name is
// only used to word errors and fill Upload.SafeName. Every refusal is a
// *RejectError; any other error is a fault of this package, not of the
// file. Process never panics on hostile input.
func Process(name string, data []byte, lim Limits) (*Upload, error) {
	return ProcessContext(context.Background(), name, data, lim)
}

// ProcessContext is Process, giving up with ctx's error when ctx ends while
// the upload waits for its share of DecodeBudget.
func ProcessContext(ctx context.Context, name string, data []byte, lim Limits) (*Upload, error) {
	lim = lim.withDefaults()
	safe := SanitizeName(name)

	switch {
	case len(data) == 0:
		return nil, reject(safe, RejectEmpty, "the file is empty")
	case int64(len(data)) > lim.MaxBytes:
		return nil, reject(safe, RejectTooLarge, "the file is %s, more than the %s limit",
			humanBytes(int64(len(data))), humanBytes(lim.MaxBytes))
	}

	sum := sha256.Sum256(data)
	up := &Upload{
		SHA256:   hex.EncodeToString(sum[:]),
		Size:     int64(len(data)),
		Original: data,
		SafeName: safe,
	}

	mt := mimetype.Detect(data)
	switch {
	case mt.Is(TypeJPEG):
		up.ContentType = TypeJPEG
	case mt.Is(TypePNG):
		up.ContentType = TypePNG
	case mt.Is(TypePDF):
		if !lim.AllowPDF {
			return nil, reject(safe, RejectPDF, "PDF files are not accepted here; upload a JPEG or PNG photo")
		}
		if err := checkPDF(data); err != "" {
			return nil, reject(safe, RejectDamagedPDF, "%s", err)
		}
		up.ContentType = TypePDF
		return up, nil
	case isAnimatedPNG(mt):
		// An APNG decodes to its default image only, which need not be what
		// a browser shows of the original: refuse rather than let the
		// reviewer and the vendor see different pictures.
		return nil, reject(safe, RejectAnimated, "the file is an animated PNG; upload a still JPEG or PNG photo")
	default:
		accepted := "a JPEG or PNG image"
		if lim.AllowPDF {
			accepted = "a JPEG or PNG image or a PDF"
		}
		return nil, reject(safe, RejectType, "the file is not %s (it looks like %s)", accepted, bareType(mt.String()))
	}

	if err := prepareImage(ctx, up, lim); err != nil {
		return nil, err
	}
	return up, nil
}

// DecodeBudget is the memory the decodings under way in this process may
// take together, as decodedSize reckons it: 512 MiB, half of the soft memory
// limit kycdesk serve sets. One image may take all of it at most.
const DecodeBudget int64 = 512 << 20

var decoding = semaphore.NewWeighted(DecodeBudget)

// decodedSize is about the most memory Go's decoder takes for an image of
// cfg: its pixels at the colour model's size (a JPEG's YCbCr at full
// resolution, 3 bytes), and for a progressive JPEG the coefficients it keeps
// of every component (4 bytes each).
func decodedSize(cfg image.Config, progressive bool) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	per, components := int64(8), int64(4)
	switch cfg.ColorModel {
	case color.GrayModel, color.AlphaModel:
		per, components = 1, 1
	case color.Gray16Model, color.Alpha16Model:
		per, components = 2, 1
	case color.YCbCrModel:
		per, components = 3, 3
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		per = 4
	default:
		if _, ok := cfg.ColorModel.(color.Palette); ok {
			per, components = 1, 1
		}
	}
	if progressive {
		per += 4 * components
	}
	return px * per
}

// prepareImage checks the header dimensions, decodes, orients and derives
// the display and thumbnail JPEGs.
func prepareImage(ctx context.Context, up *Upload, lim Limits) error {
	safe := up.SafeName
	data := up.Original
	decodeConfig, decode := jpeg.DecodeConfig, jpeg.Decode
	kind := "JPEG"
	if up.ContentType == TypePNG {
		decodeConfig, decode = png.DecodeConfig, png.Decode
		kind = "PNG"
	}

	// The format's own DecodeConfig rather than image.DecodeConfig: the
	// latter dispatches on whatever formats other packages of the binary
	// registered, and the type was already decided above.
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return reject(safe, RejectDamaged, "the %s image is damaged or incomplete and cannot be read", kind)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return reject(safe, RejectNoPixels, "the %s image has no pixels", kind)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > lim.MaxPixels {
		return reject(safe, RejectTooManyPixels, "the image is %d × %d pixels (%s megapixels), more than the %s megapixel limit",
			cfg.Width, cfg.Height, megapixels(px), megapixels(lim.MaxPixels))
	}
	// Before decoding too: refusing a thumbnail-sized upload costs nothing.
	if min(cfg.Width, cfg.Height) < lim.MinSide {
		return reject(safe, RejectTooSmall, "the image is %d × %d pixels; an image must be at least %d pixels on its shortest side",
			cfg.Width, cfg.Height, lim.MinSide)
	}

	need := decodedSize(cfg, up.ContentType == TypeJPEG && jpegProgressive(data))
	if need > lim.MaxDecodedBytes {
		return reject(safe, RejectTooManyPixels, "the image is %d × %d pixels and would take %s of memory to read, more than the %s limit; "+
			"save it as an 8-bit JPEG or PNG, or smaller", cfg.Width, cfg.Height, humanBytes(need), humanBytes(lim.MaxDecodedBytes))
	}
	if err := decoding.Acquire(ctx, need); err != nil {
		return fmt.Errorf("images: waiting to decode %s: %w", safe, err)
	}
	defer decoding.Release(need)

	orientation := 1
	if up.ContentType == TypeJPEG {
		orientation = jpegOrientation(data)
	} else {
		orientation = pngOrientation(data)
	}

	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return reject(safe, RejectDamaged, "the %s image is damaged or incomplete and cannot be read", kind)
	}
	// The decoders read the size from the same header as DecodeConfig; this
	// guards the pixel budget should that ever change.
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return reject(safe, RejectDamaged, "the %s image is damaged: its size does not match its header", kind)
	}

	up.Orientation = orientation
	up.Width, up.Height = cfg.Width, cfg.Height
	if swapsSides(orientation) {
		up.Width, up.Height = cfg.Height, cfg.Width
	}

	display := derive(img, orientation, DisplayMaxSide)
	thumb := shrink(display, ThumbMaxSide)
	// Encoding into memory only fails on a programming error, which is not
	// the uploader's fault, hence a plain error rather than a RejectError.
	if up.Display, err = encodeJPEG(display, DisplayQuality); err != nil {
		return fmt.Errorf("images: display image of %s: %w", safe, err)
	}
	if up.Thumb, err = encodeJPEG(thumb, ThumbQuality); err != nil {
		return fmt.Errorf("images: thumbnail of %s: %w", safe, err)
	}
	return nil
}

// encodeJPEG writes img as a baseline JPEG. Go's encoder writes no APPn or
// COM segments, so the result carries no metadata whatever the source had.
func encodeJPEG(img image.Image, quality int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("encode jpeg: %w", err)
	}
	return buf.Bytes(), nil
}

func isAnimatedPNG(mt *mimetype.MIME) bool {
	for m := mt; m != nil; m = m.Parent() {
		if m.Is("image/vnd.mozilla.apng") {
			return true
		}
	}
	return false
}

// checkPDF returns why data is not a plausible complete PDF, or "".
func checkPDF(data []byte) string {
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		return "the PDF file does not start with a PDF header; it may be damaged or disguised"
	}
	// Readers look for the end-of-file marker in the last kilobyte; a file
	// cut short in transfer lacks it.
	tail := data[max(0, len(data)-1024):]
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return "the PDF file is incomplete (it has no end-of-file marker); upload it again"
	}
	if name, tooBig := activePDF(data); tooBig {
		return "the PDF file's contents unpack to more than 64 MB; upload a scan or a photo of the document"
	} else if name != "" {
		return "the PDF file contains active content (/" + name + ": scripts, actions or embedded files); upload a plain scan or a photo of the document"
	}
	return ""
}

// bareType drops parameters such as "; charset=utf-8".
func bareType(s string) string {
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func humanBytes(n int64) string {
	const mb = 1 << 20
	const kb = 1 << 10
	switch {
	case n >= mb:
		v := float64(n) / mb
		if n%mb == 0 {
			return fmt.Sprintf("%d MB", n/mb)
		}
		return fmt.Sprintf("%.1f MB", v)
	case n >= kb:
		if n%kb == 0 {
			return fmt.Sprintf("%d KB", n/kb)
		}
		return fmt.Sprintf("%.1f KB", float64(n)/kb)
	default:
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	}
}

func megapixels(px int64) string {
	if px%1_000_000 == 0 {
		return fmt.Sprintf("%d", px/1_000_000)
	}
	return fmt.Sprintf("%.1f", float64(px)/1e6)
}
