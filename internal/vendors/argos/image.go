package argos

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"maps"
	"math"
	"strconv"
	"strings"

	// Decoders for what customers upload; Argos itself takes only JPEG, PNG and BMP, so the
	// others are re-encoded as JPEG.
	_ "image/gif"
	_ "image/png"

	_ "golang.org/x/image/bmp"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"kycdesk/internal/vendors"
)

// maxPixels refuses to decode images beyond 100 megapixels: a phone photo is far smaller, and a
// larger header is more likely a decompression bomb than a document.
const maxPixels = 100_000_000

// Scale maps coordinates on the image sent to Argos back to the image the client was given:
// original x = sent x × X. The zero value and {1, 1} both mean the image was sent at its size.
type Scale struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Times is s followed by a uniform factor f: the image given to the client scaled again (to the
// original an image shown was derived from).
func (s Scale) Times(f float64) Scale {
	x, y := s.X, s.Y
	if x == 0 {
		x = 1
	}
	if y == 0 {
		y = 1
	}
	return Scale{X: x * f, Y: y * f}
}

// identity reports whether s leaves coordinates unchanged.
func (s Scale) identity() bool {
	return (s.X == 0 || s.X == 1) && (s.Y == 0 || s.Y == 1)
}

// Apply maps the front-image boxes of r from the image sent to the image given. Apply it once,
// to a result from a callback (Recognize applies it to synchronous results itself).
func (s Scale) Apply(r *vendors.Result) {
	if r == nil || s.identity() || s.X <= 0 || s.Y <= 0 {
		return
	}
	for i := range r.Fields {
		b := r.Fields[i].Box
		if b == nil || b.Side != "front" {
			continue
		}
		nb := *b
		finite := true
		for j := range nb.Corners {
			nb.Corners[j].X = math.Round(nb.Corners[j].X*s.X*100) / 100
			nb.Corners[j].Y = math.Round(nb.Corners[j].Y*s.Y*100) / 100
			finite = finite && !math.IsInf(nb.Corners[j].X, 0) && !math.IsInf(nb.Corners[j].Y, 0)
		}
		if !finite {
			// A corner sent this far off any image scales past float64: no box can be drawn, and
			// a stored result (JSON) cannot hold an infinity.
			r.Fields[i].Box = nil
			continue
		}
		r.Fields[i].Box = &nb
	}
	// The boxes of raw fields kycdesk does not map, kept in Extra as "x,y x,y x,y x,y" (in a copy
	// of the map: the caller's is left as it was).
	extra := make(map[string]string, len(r.Extra))
	maps.Copy(extra, r.Extra)
	defer func() {
		if r.Extra != nil {
			r.Extra = extra
		}
	}()
	for k, v := range extra {
		if !strings.HasSuffix(k, ".coordinates") {
			continue
		}
		parts := strings.Fields(v)
		for i, p := range parts {
			xs, ys, ok := strings.Cut(p, ",")
			x, errX := strconv.ParseFloat(xs, 64)
			y, errY := strconv.ParseFloat(ys, 64)
			if !ok || errX != nil || errY != nil {
				parts = nil
				break
			}
			x, y = math.Round(x*s.X*100)/100, math.Round(y*s.Y*100)/100
			parts[i] = strconv.FormatFloat(x, 'f', -1, 64) + "," + strconv.FormatFloat(y, 'f', -1, 64)
		}
		if parts == nil {
			delete(extra, k)
			continue
		}
		extra[k] = strings.Join(parts, " ")
	}
}

// prepared is an image ready to send.
type prepared struct {
	data          []byte
	format        string
	reencoded     bool
	width, height int
	scale         Scale
}

func (p prepared) info(side string) SentImage {
	return SentImage{Side: side, Bytes: len(p.data), Format: p.format, Reencoded: p.reencoded, Width: p.width, Height: p.height}
}

// sniff names the format Argos accepts by its leading bytes, or "".
func sniff(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "jpeg"
	case len(b) >= 8 && bytes.Equal(b[:8], []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	case len(b) >= 14 && b[0] == 'B' && b[1] == 'M':
		return "bmp"
	}
	return ""
}

// prepareImage returns img unchanged when Argos accepts it as is (JPEG, PNG or BMP within max
// bytes). Otherwise it decodes it and re-encodes it as JPEG, first at full size and then smaller
// until it fits, and reports the scale between the two.
func prepareImage(img []byte, max int) (prepared, error) {
	format := sniff(img)
	if format != "" && len(img) <= max {
		p := prepared{data: img, format: format, scale: Scale{X: 1, Y: 1}}
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(img)); err == nil {
			p.width, p.height = cfg.Width, cfg.Height
		}
		return p, nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		return prepared{}, fmt.Errorf("reading the image header: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > maxPixels {
		return prepared{}, fmt.Errorf("the image is %d×%d pixels, outside what can be processed", cfg.Width, cfg.Height)
	}
	src, _, err := image.Decode(bytes.NewReader(img))
	if err != nil {
		return prepared{}, fmt.Errorf("decoding the image: %w", err)
	}
	return fit(src, max)
}

// fit encodes src as JPEG within max bytes, shrinking it as needed. Quality stays at 90 while the
// image is shrunk, since OCR suffers more from compression artefacts than from a smaller image
// of reasonable size; below 1000 pixels on the long side quality is lowered instead.
func fit(src image.Image, max int) (prepared, error) {
	b := src.Bounds()
	w0, h0 := b.Dx(), b.Dy()
	w, h := w0, h0
	quality := 90
	var buf bytes.Buffer
	for i := 0; i < 12; i++ {
		var img image.Image = src
		if w != w0 || h != h0 {
			dst := image.NewRGBA(image.Rect(0, 0, w, h))
			draw.BiLinear.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
			img = dst
		}
		buf.Reset()
		if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
			return prepared{}, fmt.Errorf("encoding the image as JPEG: %w", err)
		}
		if buf.Len() <= max {
			return prepared{
				data: append([]byte(nil), buf.Bytes()...), format: "jpeg", reencoded: true,
				width: w, height: h,
				scale: Scale{X: float64(w0) / float64(w), Y: float64(h0) / float64(h)},
			}, nil
		}
		long := math.Max(float64(w), float64(h))
		if long <= 1000 && quality > 50 {
			quality -= 15
			continue
		}
		// Bytes grow roughly with the pixel count: shrink both sides by the square root of the
		// overshoot, with a margin so that most images fit on the next try.
		f := math.Sqrt(float64(max)/float64(buf.Len())) * 0.92
		f = math.Max(0.25, math.Min(0.9, f))
		nw, nh := int(math.Round(float64(w)*f)), int(math.Round(float64(h)*f))
		if nw < 200 || nh < 200 {
			break
		}
		w, h = nw, nh
	}
	return prepared{}, errors.New("the image could not be made small enough for Argos without making it unreadable")
}
