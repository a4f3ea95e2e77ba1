package specimen

import (
	"bytes"
	"hash/crc32"
	"image"
	"image/color"
	_ "image/jpeg" // Identify reads JPEG images
	_ "image/png"  // and PNG images
	"math"
)

// The specimen code is a grid of black and white cells in the top-right corner of every image. It
// carries the seed and the options, so a vendor fake that only sees image bytes can tell which
// specimen it was sent. Everything about it is relative to the image size: the cell is a fixed
// fraction of the shorter side and the grid sits a fixed number of cells from the corner, so it
// survives uniform downscaling; cells are read by their average brightness, so it survives JPEG
// recompression.
const (
	gridCols    = 12
	gridRows    = 9
	codeVersion = 1

	// cellsPerSide is the shorter image side in cells.
	cellsPerSide = 70
	// The grid is the data cells, a one-cell black border, and a one-cell white quiet zone.
	gridOuterCols = gridCols + 4
	gridOuterRows = gridRows + 4
)

// payload is what the code carries.
type payload struct {
	seed  uint64
	flags uint32 // options, see Options.flags
}

const (
	payloadBits = 3 + 64 + 23 // version, seed, flags
	checkBits   = 17
)

// bits lays the payload out as cells: version, seed, flags, then a CRC-32 cut to checkBits.
func (p payload) bits() []bool {
	var out []bool
	put := func(v uint64, n int) {
		for i := n - 1; i >= 0; i-- {
			out = append(out, v>>uint(i)&1 == 1)
		}
	}
	put(codeVersion, 3)
	put(p.seed, 64)
	put(uint64(p.flags), 23)
	put(uint64(crc(out)), checkBits)
	mask := cellMask()
	for i := range out {
		out[i] = out[i] != mask[i]
	}
	return out
}

func crc(bits []bool) uint32 {
	b := make([]byte, (len(bits)+7)/8)
	for i, v := range bits {
		if v {
			b[i/8] |= 0x80 >> uint(i%8)
		}
	}
	return crc32.ChecksumIEEE(b) & (1<<checkBits - 1)
}

// cellMask scrambles the cells so that no payload draws a large plain area, which JPEG would
// smear and which would look like a barcode of nothing.
func cellMask() []bool {
	r := &rng{s: 0xC0DEC0DE}
	m := make([]bool, gridCols*gridRows)
	for i := range m {
		m[i] = r.next()&1 == 1
	}
	return m
}

func decodeBits(cells []bool) (payload, bool) {
	mask := cellMask()
	bits := make([]bool, payloadBits+checkBits)
	for i := range bits {
		bits[i] = cells[i] != mask[i]
	}
	get := func(from, n int) uint64 {
		var v uint64
		for _, b := range bits[from : from+n] {
			v <<= 1
			if b {
				v |= 1
			}
		}
		return v
	}
	if get(0, 3) != codeVersion || uint32(get(payloadBits, checkBits)) != crc(bits[:payloadBits]) {
		return payload{}, false
	}
	return payload{seed: get(3, 64), flags: uint32(get(67, 23))}, true
}

// gridGeometry returns the top-left corner of the quiet zone and the cell size for an image.
func gridGeometry(w, h int) (x0, y0, cell float64) {
	cell = float64(min(w, h)) / cellsPerSide
	// Two cells in from the corner keeps the grid inside an ID card's rounded corner.
	return float64(w) - (gridOuterCols+2)*cell, 2 * cell, cell
}

// drawCode paints the code for p onto the canvas.
func drawCode(cv *canvas, p payload) {
	b := cv.img.Bounds()
	x0, y0, cell := gridGeometry(b.Dx(), b.Dy())
	rect := func(c0, r0, c1, r1 int) image.Rectangle {
		return image.Rect(int(math.Round(x0+float64(c0)*cell)), int(math.Round(y0+float64(r0)*cell)),
			int(math.Round(x0+float64(c1)*cell)), int(math.Round(y0+float64(r1)*cell)))
	}
	white, black := color.RGBA{255, 255, 255, 255}, color.RGBA{0, 0, 0, 255}
	cv.fillRect(rect(0, 0, gridOuterCols, gridOuterRows), white)
	cv.fillRect(rect(1, 1, gridOuterCols-1, gridOuterRows-1), black)
	cv.fillRect(rect(2, 2, gridOuterCols-2, gridOuterRows-2), white)
	for i, on := range p.bits() {
		if on {
			c, r := 2+i%gridCols, 2+i/gridCols
			cv.fillRect(rect(c, r, c+1, r+1), black)
		}
	}
	// The cells past the payload are left white.
}

// maxPixels bounds what Identify will decode, so a hostile image cannot make it allocate gigabytes.
const maxPixels = 40 << 20

// readCode finds the code on an encoded image.
func readCode(data []byte) (payload, bool) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width < 64 || cfg.Height < 64 || cfg.Width*cfg.Height > maxPixels {
		return payload{}, false
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return payload{}, false
	}
	lum := luminance(img)
	b := img.Bounds()
	x0, y0, cell := gridGeometry(b.Dx(), b.Dy())
	x0 += float64(b.Min.X)
	y0 += float64(b.Min.Y)
	// Rounding in whatever resized the image can move the grid by a fraction of a cell: try small
	// shifts, nearest first. The check bits make a wrong reading fail rather than mislead.
	shifts := []float64{0, -0.25, 0.25, -0.5, 0.5}
	for _, dy := range shifts {
		for _, dx := range shifts {
			if p, ok := readGrid(lum, x0+dx*cell, y0+dy*cell, cell); ok {
				return p, true
			}
		}
	}
	return payload{}, false
}

// readGrid reads the cells of a grid whose quiet zone starts at (x0, y0).
func readGrid(lum func(x, y int) float64, x0, y0, cell float64) (payload, bool) {
	// Average the middle half of a cell: its edges are where JPEG and resampling blur.
	sample := func(c, r int) float64 {
		cx, cy := x0+(float64(c)+0.5)*cell, y0+(float64(r)+0.5)*cell
		h := max(cell/4, 0.5)
		xa, xb := int(math.Floor(cx-h)), int(math.Ceil(cx+h))
		ya, yb := int(math.Floor(cy-h)), int(math.Ceil(cy+h))
		sum, n := 0.0, 0
		for y := ya; y < yb; y++ {
			for x := xa; x < xb; x++ {
				sum += lum(x, y)
				n++
			}
		}
		return sum / float64(n)
	}
	var border, quiet []float64
	for c := 0; c < gridOuterCols; c++ {
		quiet = append(quiet, sample(c, 0), sample(c, gridOuterRows-1))
		if c >= 1 && c < gridOuterCols-1 {
			border = append(border, sample(c, 1), sample(c, gridOuterRows-2))
		}
	}
	for r := 1; r < gridOuterRows-1; r++ {
		quiet = append(quiet, sample(0, r), sample(gridOuterCols-1, r))
		if r >= 2 && r < gridOuterRows-2 {
			border = append(border, sample(1, r), sample(gridOuterCols-2, r))
		}
	}
	black, white := mean(border), mean(quiet)
	if white-black < 80 {
		return payload{}, false
	}
	mid := (black + white) / 2
	for _, v := range border {
		if v > mid {
			return payload{}, false
		}
	}
	for _, v := range quiet {
		if v < mid {
			return payload{}, false
		}
	}
	cells := make([]bool, gridCols*gridRows)
	for i := range cells {
		cells[i] = sample(2+i%gridCols, 2+i/gridCols) < mid
	}
	return decodeBits(cells)
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// luminance returns a reader of 0–255 brightness that is fast for the decoders' usual types and
// 255 (white, which fails the border test) outside the image.
func luminance(img image.Image) func(x, y int) float64 {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.YCbCr:
		return func(x, y int) float64 {
			if !(image.Point{x, y}.In(b)) {
				return 255
			}
			return float64(m.Y[m.YOffset(x, y)])
		}
	case *image.Gray:
		return func(x, y int) float64 {
			if !(image.Point{x, y}.In(b)) {
				return 255
			}
			return float64(m.Pix[m.PixOffset(x, y)])
		}
	default:
		return func(x, y int) float64 {
			if !(image.Point{x, y}.In(b)) {
				return 255
			}
			g := color.GrayModel.Convert(img.At(x, y)).(color.Gray)
			return float64(g.Y)
		}
	}
}
