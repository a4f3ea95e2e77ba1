package specimen

import (
	"image"
	"image/color"
	"math"
	"sync"
)

// backgrounds caches the guilloche paper of each size and country: it is the costliest part of a
// page and depends on nothing else.
var backgrounds sync.Map // bgKey → *image.RGBA

type bgKey struct {
	w, h       int
	paper, ink [3]uint8
}

// paper returns a fresh copy of the security-paper background: a tint crossed by two families of
// fine wavy lines, as printed documents have to make copying visible.
func paper(w, h int, c country) *canvas {
	k := bgKey{w, h, c.paper, c.ink}
	if v, ok := backgrounds.Load(k); ok {
		src := v.(*image.RGBA)
		cv := newCanvas(w, h)
		copy(cv.img.Pix, src.Pix)
		return cv
	}
	cv := newCanvas(w, h)
	base, ink := c.paper, mix(c.paper, c.ink, 0.55)
	// sin(a+b) = sin a cos b + cos a sin b lets the per-pixel work use per-row and per-column tables.
	sx, cx := make([]float64, w), make([]float64, w)
	for x := range w {
		sx[x], cx[x] = math.Sincos(float64(x) / 57)
	}
	sy, cy := make([]float64, h), make([]float64, h)
	for y := range h {
		sy[y], cy[y] = math.Sincos(float64(y) / 41)
	}
	const period = 11.0
	for y := range h {
		row := cv.img.Pix[y*cv.img.Stride:]
		fy := float64(y)
		for x := range w {
			fx := float64(x)
			// Two crossing families of waves; a pixel is inked by its distance to the nearest line.
			a := (fy + 9*(sx[x]*cy[y]+cx[x]*sy[y])) / period
			b := (fx*0.6 - fy*0.8 + 12*sx[x]*sy[y]) / period
			da := math.Abs(a-math.Round(a)) * period
			db := math.Abs(b-math.Round(b)) * period
			cov := max(0, 1-da/0.9) + 0.7*max(0, 1-db/0.8)
			cov = min(cov, 1) * 0.55
			i := x * 4
			for k := 0; k < 3; k++ {
				row[i+k] = uint8(float64(base[k])*(1-cov) + float64(ink[k])*cov + 0.5)
			}
			row[i+3] = 255
		}
	}
	// A rosette in the middle of the page: concentric rings of the ink colour.
	rx, ry := float64(w)*0.62, float64(h)*0.45
	for i := 0; i < 9; i++ {
		var p path
		r := float64(min(w, h)) * (0.12 + 0.025*float64(i))
		p.ellipse(rx, ry, r, r*0.92, false)
		p.ellipse(rx, ry, r-1.2, r*0.92-1.2, true)
		cv.fill(&p, nrgba(c.ink, 70))
	}
	stored := image.NewRGBA(cv.img.Bounds())
	copy(stored.Pix, cv.img.Pix)
	backgrounds.Store(k, stored)
	return cv
}

// renderFront draws the passport data page or the ID card's front.
func renderFront(l *layout, s *Specimen, code payload) image.Image {
	c := l.p.country
	cv := paper(l.w, l.h, c)
	if l.kind == Passport {
		// The header band and the zone's plain band.
		cv.fillRect(image.Rect(0, 0, l.w, 122), color.RGBA{c.paper[0], c.paper[1], c.paper[2], 255})
		band(cv, image.Rect(0, 118, l.w, 124), c.ink)
	}
	if !l.mrzBand.Empty() && l.kind == Passport {
		cv.fillRect(l.mrzBand, color.RGBA{250, 250, 247, 255})
		band(cv, image.Rect(0, l.mrzBand.Min.Y-4, l.w, l.mrzBand.Min.Y), c.ink)
	}
	face := l.p.face
	drawPortrait(cv, l.portrait, face, [3]uint8{228, 233, 240}, [3]uint8{200, 208, 220})
	frame(cv, l.portrait, shade(c.ink, 0.6))
	ghost(cv, l.ghost, face)
	signature(cv, l.signature, s.Seed)
	for _, t := range l.front {
		cv.text(t)
	}
	cv.stamp("SPECIMEN", l.fonts.get(fontBold, 130), l.stampAt[0], l.stampAt[1], 0.33, [3]uint8{200, 30, 40}, 0.30)
	cv.text(textItem{s: "SPECIMEN", face: l.fonts.get(fontBold, 22), x: float64(l.portrait.Min.X) + 8,
		y: float64(l.portrait.Max.Y) - 10, color: color.RGBA{200, 30, 40, 255}})
	if l.kind == NationalID {
		cardEdges(cv)
	}
	drawCode(cv, code)
	return cv.img
}

// renderBack draws the ID card's back.
func renderBack(l *layout, s *Specimen, code payload) image.Image {
	c := l.p.country
	cv := paper(l.w, l.h, c)
	cv.fillRect(l.mrzBand.Inset(8).Intersect(image.Rect(0, l.mrzBand.Min.Y, l.w, l.h-8)), color.RGBA{250, 250, 247, 255})
	band(cv, image.Rect(8, l.mrzBand.Min.Y-4, l.w-8, l.mrzBand.Min.Y), c.ink)
	ghost(cv, image.Rect(790, 200, 900, 345), l.p.face)
	for _, t := range l.back {
		cv.text(t)
	}
	cv.stamp("SPECIMEN", l.fonts.get(fontBold, 110), 560, 250, 0.2, [3]uint8{200, 30, 40}, 0.28)
	cardEdges(cv)
	drawCode(cv, code)
	return cv.img
}

// renderSelfie draws the holder (or somebody else) in front of a room wall.
func renderSelfie(l *layout, o Options, code payload) image.Image {
	cv := newCanvas(selfieW, selfieH)
	r := &rng{s: uint64(code.seed) ^ 0x9e3779b97f4a7c15}
	walls := [][3]uint8{{214, 205, 190}, {190, 205, 214}, {220, 214, 200}, {200, 212, 196}, {230, 222, 215}}
	wall := pick(r, walls)
	for y := 0; y < selfieH; y++ {
		t := float64(y) / selfieH
		cv.fillRect(image.Rect(0, y, selfieW, y+1), rgb(mix(shade(wall, 1.12), shade(wall, 0.82), t)))
	}
	// A door frame and a picture on the wall make it look like a room, not a studio.
	doorX := float64(r.between(-40, 60))
	var door path
	door.rect(doorX, 90, doorX+150, selfieH)
	door.rect(doorX+14, 104, doorX+136, selfieH)
	cv.fill(&door, rgb(shade(wall, 0.7)))
	var pic path
	px := float64(r.between(170, 300))
	pic.rect(px, 60, px+120, 150)
	cv.fill(&pic, rgb([3]uint8{90, 70, 50}))
	var canvasArt path
	canvasArt.rect(px+8, 68, px+112, 142)
	cv.fill(&canvasArt, rgb(mix(wall, [3]uint8{80, 120, 160}, 0.5)))

	face := l.p.face
	if o.OtherFace {
		face = l.p.otherFace
	}
	dx := r.between(-20, 20)
	drawFace(cv, image.Rect(40+dx, 110, 600+dx, 857), face)
	f := faceSet{}
	var bar path
	bar.rect(0, selfieH-40, selfieW, selfieH)
	cv.fill(&bar, color.NRGBA{255, 255, 255, 190})
	cv.text(textItem{s: "SPECIMEN · ILLUSTRATION, NOT A PHOTOGRAPH", face: f.get(fontBold, 16), x: 16, y: selfieH - 14,
		color: color.RGBA{190, 30, 40, 255}})
	drawCode(cv, code)
	return cv.img
}

// ghost draws the small translucent second portrait that documents carry as a security feature.
func ghost(cv *canvas, b image.Rectangle, f faceParams) {
	if b.Empty() {
		return
	}
	tmp := newCanvas(b.Dx(), b.Dy())
	tmp.fillRect(tmp.img.Bounds(), color.RGBA{255, 255, 255, 255})
	drawFace(tmp, tmp.img.Bounds(), f)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			si := tmp.img.PixOffset(x, y)
			di := cv.img.PixOffset(b.Min.X+x, b.Min.Y+y)
			// Monochrome, at low contrast: only darker parts of the face show.
			g := 0.3*float64(tmp.img.Pix[si]) + 0.59*float64(tmp.img.Pix[si+1]) + 0.11*float64(tmp.img.Pix[si+2])
			a := (255 - g) / 255 * 0.45
			for k := 0; k < 3; k++ {
				cv.img.Pix[di+k] = uint8(float64(cv.img.Pix[di+k]) * (1 - a*0.6))
			}
		}
	}
}

// signature draws a scribble that differs per seed.
func signature(cv *canvas, b image.Rectangle, seed uint64) {
	r := &rng{s: seed ^ 0x51_6e_41_74}
	var pts [][2]float64
	x := float64(b.Min.X) + 10
	cy := float64(b.Min.Y+b.Max.Y) / 2
	amp := float64(b.Dy()) * 0.35
	phase := r.float() * 6
	for x < float64(b.Max.X)-20 {
		step := 2.0
		k := (x - float64(b.Min.X)) / 23
		y := cy + amp*math.Sin(k*1.7+phase)*math.Cos(k*0.45) + 6*math.Sin(k*5.1)
		pts = append(pts, [2]float64{x + 8*math.Sin(k*3.3), y})
		x += step
	}
	var p path
	p.stroke(pts, 2.4)
	cv.fill(&p, color.NRGBA{20, 30, 90, 230})
	var u path
	u.stroke(curve(float64(b.Min.X)+20, cy+amp+6, float64(b.Min.X+b.Max.X)/2, cy+amp+16, float64(b.Max.X)-30, cy+amp-2, 20), 2)
	cv.fill(&u, color.NRGBA{20, 30, 90, 200})
}

// band draws a thin coloured rule.
func band(cv *canvas, r image.Rectangle, ink [3]uint8) {
	cv.fillRect(r, rgb(shade(ink, 0.85)))
}

// frame draws a thin border around the portrait.
func frame(cv *canvas, r image.Rectangle, c [3]uint8) {
	var p path
	p.rect(float64(r.Min.X)-1.5, float64(r.Min.Y)-1.5, float64(r.Max.X)+1.5, float64(r.Max.Y)+1.5)
	p.rect(float64(r.Min.X), float64(r.Max.Y), float64(r.Max.X), float64(r.Min.Y)) // reversed: hole
	cv.fill(&p, rgb(c))
}

// cardEdges rounds the card's corners on a neutral surround, as a card photographed flat looks.
func cardEdges(cv *canvas) {
	b := cv.img.Bounds()
	const radius = 34.0
	surround := color.RGBA{236, 236, 236, 255}
	w, h := float64(b.Dx()), float64(b.Dy())
	for _, corner := range [][2]float64{{radius, radius}, {w - radius, radius}, {radius, h - radius}, {w - radius, h - radius}} {
		x0, y0 := int(corner[0]-radius), int(corner[1]-radius)
		if corner[0] > w/2 {
			x0 = int(corner[0])
		}
		if corner[1] > h/2 {
			y0 = int(corner[1])
		}
		for y := y0; y < y0+int(radius); y++ {
			for x := x0; x < x0+int(radius); x++ {
				d := math.Hypot(float64(x)+0.5-corner[0], float64(y)+0.5-corner[1])
				a := min(max(d-radius+0.5, 0), 1) // antialiased edge
				if a <= 0 {
					continue
				}
				i := cv.img.PixOffset(x, y)
				cv.img.Pix[i] = uint8(float64(cv.img.Pix[i])*(1-a) + float64(surround.R)*a)
				cv.img.Pix[i+1] = uint8(float64(cv.img.Pix[i+1])*(1-a) + float64(surround.G)*a)
				cv.img.Pix[i+2] = uint8(float64(cv.img.Pix[i+2])*(1-a) + float64(surround.B)*a)
			}
		}
	}
}
