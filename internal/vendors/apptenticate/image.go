package apptenticate

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"

	"golang.org/x/image/draw"
)

// MaxImageBytes is the vendor's per-image limit read as the stricter 2,000,000 bytes, so an
// image under it is also under 2 MiB whichever way the vendor counts.
const MaxImageBytes = 2_000_000

// maxPixels refuses decompression bombs: a phone photo is ~12–50 megapixels.
const maxPixels = 120_000_000

// minSide is the smallest side the downscaler will go to; below it the document cannot be read
// and sending it would only buy a vendor refusal.
const minSide = 320

// qualities are tried in order before any downscaling, because a lower JPEG quality loses less
// detail for OCR than fewer pixels do.
var qualities = []int{90, 82, 75, 68, 60}

// Image is an image as it was sent to the vendor.
type Image struct {
	Data []byte
	// Width and Height are the sent image's size in pixels.
	Width, Height int
	// OriginalWidth and OriginalHeight are the size of the image the caller gave.
	OriginalWidth, OriginalHeight int
	// Scale is sent pixels per original pixel (1 when not downscaled): divide a box read on the
	// sent image by Scale to draw it on the original.
	Scale float64
	// Quality is the JPEG quality used when the client re-encoded the image, 0 when the image
	// was sent exactly as given.
	Quality int
}

// errImage marks an image that cannot be made acceptable; the caller turns it into Invalid.
var errImage = errors.New("image not usable")

// PrepareImage returns img as a JPEG of fewer than limit bytes (MaxImageBytes when limit <= 0).
// A JPEG already under the limit is sent unchanged, so nothing is lost and its bytes stay the
// ones the customer uploaded; a PNG, or a JPEG over the limit, is decoded and re-encoded with a
// falling quality, then downscaled (never cropped) until it fits.
func PrepareImage(img []byte, limit int) (Image, error) {
	if limit <= 0 {
		limit = MaxImageBytes
	}
	if len(img) == 0 {
		return Image{}, fmt.Errorf("%w: the image is empty", errImage)
	}
	var cfg image.Config
	var err error
	isJPEG := bytes.HasPrefix(img, []byte{0xFF, 0xD8, 0xFF})
	switch {
	case isJPEG:
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(img))
	case bytes.HasPrefix(img, []byte("\x89PNG\r\n\x1a\n")):
		cfg, err = png.DecodeConfig(bytes.NewReader(img))
	default:
		return Image{}, fmt.Errorf("%w: the image is neither JPEG nor PNG", errImage)
	}
	if err != nil {
		return Image{}, fmt.Errorf("%w: the image cannot be read: %w", errImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
		return Image{}, fmt.Errorf("%w: the image is %d×%d pixels, which cannot be processed", errImage, cfg.Width, cfg.Height)
	}
	out := Image{OriginalWidth: cfg.Width, OriginalHeight: cfg.Height, Width: cfg.Width, Height: cfg.Height, Scale: 1}
	if isJPEG && len(img) < limit {
		out.Data = img
		return out, nil
	}

	var src image.Image
	if isJPEG {
		src, err = jpeg.Decode(bytes.NewReader(img))
	} else {
		src, err = png.Decode(bytes.NewReader(img))
	}
	if err != nil {
		return Image{}, fmt.Errorf("%w: the image cannot be decoded: %w", errImage, err)
	}
	// JPEG has no alpha: flatten onto white, as a transparent PNG would be seen on screen,
	// rather than letting the encoder turn transparent pixels black.
	flat := image.NewRGBA(src.Bounds())
	draw.Draw(flat, flat.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(flat, flat.Bounds(), src, src.Bounds().Min, draw.Over)

	var last int
	for _, q := range qualities {
		b, err := encodeJPEG(flat, q)
		if err != nil {
			return Image{}, err
		}
		if len(b) < limit {
			out.Data, out.Quality = b, q
			return out, nil
		}
		last = len(b)
	}

	const q = 75
	scale := 1.0
	cur := last
	for {
		// JPEG size grows roughly with the pixel count, so aim for the area that fits with a
		// margin, and always shrink by at least 10% to be sure the loop ends.
		step := math.Sqrt(float64(limit)/float64(cur)) * 0.95
		step = math.Max(0.5, math.Min(0.9, step))
		scale *= step
		w := int(math.Round(float64(cfg.Width) * scale))
		h := int(math.Round(float64(cfg.Height) * scale))
		if w < minSide || h < minSide {
			return Image{}, fmt.Errorf("%w: the image cannot be brought under %d bytes without making it unreadable", errImage, limit)
		}
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.BiLinear.Scale(dst, dst.Bounds(), flat, flat.Bounds(), draw.Src, nil)
		b, err := encodeJPEG(dst, q)
		if err != nil {
			return Image{}, err
		}
		if len(b) < limit {
			out.Data, out.Quality = b, q
			out.Width, out.Height = w, h
			out.Scale = float64(w) / float64(cfg.Width)
			return out, nil
		}
		cur = len(b)
	}
}

func encodeJPEG(img image.Image, q int) ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, fmt.Errorf("encode JPEG: %w", err)
	}
	return buf.Bytes(), nil
}
