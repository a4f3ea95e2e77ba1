package specimen

import (
	"image"
	"math"
)

// faceParams describes an illustrated face. It is drawn, never a photograph, so no specimen can
// show a real person.
type faceParams struct {
	skin, hair, eyes, lips, shirt [3]uint8
	hairStyle                     int
	headW, headH                  float64 // multipliers around 1
	eyeGap                        float64
	mouthW, smile                 float64
	glasses, beard                bool
}

var (
	skinTones = [][3]uint8{
		{255, 219, 186}, {241, 194, 155}, {224, 172, 130}, {198, 134, 94}, {161, 102, 64}, {112, 72, 46},
	}
	hairColours = [][3]uint8{
		{35, 28, 25}, {70, 45, 30}, {120, 80, 45}, {190, 150, 90}, {150, 60, 30}, {140, 140, 140}, {20, 20, 30},
	}
	eyeColours = [][3]uint8{{70, 45, 25}, {50, 90, 140}, {70, 110, 70}, {40, 30, 25}, {110, 80, 40}}
	shirtTones = [][3]uint8{
		{40, 60, 110}, {120, 30, 40}, {40, 90, 70}, {70, 70, 80}, {200, 200, 205}, {150, 110, 60},
		{90, 50, 120}, {30, 30, 35},
	}
)

const hairStyles = 6 // short, long, bun, bald sides, curly, bob

func newFace(r *rng, sex string) faceParams {
	f := faceParams{
		skin:   pick(r, skinTones),
		hair:   pick(r, hairColours),
		eyes:   pick(r, eyeColours),
		shirt:  pick(r, shirtTones),
		headW:  0.92 + 0.14*r.float(),
		headH:  0.94 + 0.1*r.float(),
		eyeGap: 0.085 + 0.025*r.float(),
		mouthW: 0.05 + 0.03*r.float(),
		smile:  0.01 + 0.025*r.float(),
	}
	f.lips = mix(shade(f.skin, 0.72), [3]uint8{170, 70, 70}, 0.45)
	switch sex {
	case "F":
		f.hairStyle = pick(r, []int{1, 1, 2, 4, 5, 5})
	case "M":
		f.hairStyle = pick(r, []int{0, 0, 3, 4, 0, 5})
		f.beard = r.intn(4) == 0
	default:
		f.hairStyle = r.intn(hairStyles)
	}
	f.glasses = r.intn(4) == 0
	return f
}

// differFrom makes sure the face is visibly somebody else's.
func (f *faceParams) differFrom(o faceParams) {
	if f.hairStyle == o.hairStyle {
		f.hairStyle = (f.hairStyle + 1 + int(o.skin[0])%(hairStyles-1)) % hairStyles
	}
	if f.skin == o.skin {
		for i, s := range skinTones {
			if s == o.skin {
				f.skin = skinTones[(i+3)%len(skinTones)]
				break
			}
		}
	}
	if f.hair == o.hair {
		f.hair = hairColours[(int(o.hair[0])+3)%len(hairColours)]
	}
	f.glasses = !o.glasses
	f.headW = 2.0 - o.headW
	f.lips = mix(shade(f.skin, 0.72), [3]uint8{170, 70, 70}, 0.45)
}

// drawPortrait draws the face into box b on a plain backdrop, framed as a passport photo is.
func drawPortrait(cv *canvas, b image.Rectangle, f faceParams, bgTop, bgBottom [3]uint8) {
	// A vertical gradient, like a studio backdrop.
	for y := b.Min.Y; y < b.Max.Y; y++ {
		t := float64(y-b.Min.Y) / float64(b.Dy())
		cv.fillRect(image.Rect(b.Min.X, y, b.Max.X, y+1), rgb(mix(bgTop, bgBottom, t)))
	}
	// Passport photos fill most of the frame with the head: draw larger and let the frame crop.
	grow := b.Dx() * 16 / 100
	face := image.Rect(b.Min.X-grow/2, b.Min.Y-grow/4, b.Max.X+grow/2, b.Max.Y+grow*5/4)
	drawFace(cv.clip(b), face, f)
}

// drawFace draws a head-and-shoulders illustration filling box b (about 3:4), over whatever is
// already there.
func drawFace(cv *canvas, b image.Rectangle, f faceParams) {
	cv = cv.clip(b.Intersect(cv.img.Bounds()))
	x0, y0 := float64(b.Min.X), float64(b.Min.Y)
	w, h := float64(b.Dx()), float64(b.Dy())
	X := func(u float64) float64 { return x0 + u*w }
	Y := func(v float64) float64 { return y0 + v*h }
	fillE := func(cu, cv_, ru, rv float64, c [3]uint8, a uint8) {
		var p path
		p.ellipse(X(cu), Y(cv_), ru*w, rv*h, false)
		cv.fill(&p, nrgba(c, a))
	}

	headRX, headRY := 0.25*f.headW, 0.235*f.headH
	headCY := 0.44
	skinDark := shade(f.skin, 0.85)

	// Long hair and the bob fall behind the head and onto the shoulders.
	if f.hairStyle == 1 || f.hairStyle == 5 {
		bottom := 0.78
		if f.hairStyle == 5 {
			bottom = 0.62
		}
		var p path
		p.roundRect(X(0.5-headRX-0.06), Y(headCY-headRY+0.02), X(0.5+headRX+0.06), Y(bottom), 0.12*w)
		cv.fill(&p, rgb(shade(f.hair, 0.9)))
	}

	// Shoulders and clothing.
	fillE(0.5, 1.0, 0.52, 0.27, f.shirt, 255)
	// Neck, with a shadow under the jaw.
	{
		var p path
		p.rect(X(0.405), Y(headCY+0.12), X(0.595), Y(0.80))
		cv.fill(&p, rgb(skinDark))
		var v path // open collar
		v.moveTo(X(0.40), Y(0.76))
		v.lineTo(X(0.5), Y(0.87))
		v.lineTo(X(0.60), Y(0.76))
		v.close()
		cv.fill(&v, rgb(skinDark))
		var c path
		c.stroke([][2]float64{{X(0.36), Y(0.77)}, {X(0.5), Y(0.89)}, {X(0.64), Y(0.77)}}, 0.025*w)
		cv.fill(&c, rgb(shade(f.shirt, 1.35)))
	}
	// Ears.
	fillE(0.5-headRX+0.005, headCY+0.01, 0.04, 0.05, skinDark, 255)
	fillE(0.5+headRX-0.005, headCY+0.01, 0.04, 0.05, skinDark, 255)
	// Head.
	fillE(0.5, headCY, headRX, headRY, f.skin, 255)
	// Cheeks.
	blush := mix(f.skin, [3]uint8{225, 110, 110}, 0.5)
	fillE(0.5-0.13, headCY+0.07, 0.05, 0.03, blush, 45)
	fillE(0.5+0.13, headCY+0.07, 0.05, 0.03, blush, 45)

	if f.beard {
		var p path
		// Jaw line to jaw line round the chin, the inner edge under the cheeks.
		p.moveTo(X(0.5-headRX+0.012), Y(headCY+0.05))
		p.cubeTo(X(0.5-headRX+0.03), Y(headCY+headRY+0.03), X(0.5+headRX-0.03), Y(headCY+headRY+0.03), X(0.5+headRX-0.012), Y(headCY+0.05))
		p.cubeTo(X(0.5+0.16), Y(headCY+0.17), X(0.5-0.16), Y(headCY+0.17), X(0.5-headRX+0.012), Y(headCY+0.05))
		p.close()
		cv.fill(&p, nrgba(f.hair, 225))
		var m path // moustache
		m.stroke(curve(X(0.5-0.07), Y(headCY+0.14), X(0.5), Y(headCY+0.105), X(0.5+0.07), Y(headCY+0.14), 10), 0.022*w)
		cv.fill(&m, nrgba(f.hair, 225))
	}

	// Eyes, brows.
	eyeY := headCY - 0.005
	for _, side := range []float64{-1, 1} {
		ex := 0.5 + side*f.eyeGap
		fillE(ex, eyeY, 0.045, 0.02, [3]uint8{250, 250, 250}, 255)
		fillE(ex, eyeY, 0.022, 0.0165, f.eyes, 255)
		fillE(ex, eyeY, 0.010, 0.0075, [3]uint8{15, 15, 15}, 255)
		fillE(ex+0.006, eyeY-0.005, 0.004, 0.003, [3]uint8{255, 255, 255}, 230)
		var lid path
		lid.stroke(curve(X(ex-0.048), Y(eyeY), X(ex), Y(eyeY-0.032), X(ex+0.048), Y(eyeY), 8), 0.006*w)
		cv.fill(&lid, rgb(shade(f.skin, 0.45)))
		var brow path
		brow.stroke(curve(X(ex-side*0.05), Y(eyeY-0.035), X(ex), Y(eyeY-0.055), X(ex+side*0.055), Y(eyeY-0.04), 8), 0.016*w)
		cv.fill(&brow, rgb(shade(f.hair, 0.8)))
	}
	// Nose.
	{
		var p path
		p.stroke(curve(X(0.5), Y(eyeY+0.02), X(0.485), Y(eyeY+0.09), X(0.515), Y(eyeY+0.095), 10), 0.008*w)
		cv.fill(&p, nrgba(shade(f.skin, 0.6), 170))
	}
	// Mouth.
	{
		my := headCY + 0.145
		var p path
		p.moveTo(X(0.5-f.mouthW), Y(my))
		p.quadTo(X(0.5), Y(my-0.018), X(0.5+f.mouthW), Y(my))
		p.quadTo(X(0.5), Y(my+0.03+f.smile), X(0.5-f.mouthW), Y(my))
		p.close()
		cv.fill(&p, rgb(f.lips))
		var l path
		l.stroke(curve(X(0.5-f.mouthW), Y(my), X(0.5), Y(my+f.smile), X(0.5+f.mouthW), Y(my), 10), 0.005*w)
		cv.fill(&l, rgb(shade(f.lips, 0.6)))
	}

	drawHair(cv, X, Y, w, h, f, headCY, headRX, headRY)

	if f.glasses {
		var p path
		for _, side := range []float64{-1, 1} {
			ex := 0.5 + side*f.eyeGap
			p.ellipse(X(ex), Y(eyeY), 0.07*w, 0.045*h, false)
			p.ellipse(X(ex), Y(eyeY), 0.062*w, 0.039*h, true)
		}
		p.stroke([][2]float64{{X(0.5 - f.eyeGap + 0.07), Y(eyeY - 0.005)}, {X(0.5 + f.eyeGap - 0.07), Y(eyeY - 0.005)}}, 0.008*w)
		cv.fill(&p, rgb([3]uint8{30, 30, 35}))
	}
}

func drawHair(cv *canvas, X, Y func(float64) float64, w, h float64, f faceParams, cy, rx, ry float64) {
	top := cy - ry - 0.035
	left, right := 0.5-rx-0.015, 0.5+rx+0.015
	cap := func(fringe float64) {
		var p path
		p.moveTo(X(left), Y(cy+0.02))
		p.cubeTo(X(left-0.01), Y(top-0.02), X(right+0.01), Y(top-0.02), X(right), Y(cy+0.02))
		p.lineTo(X(right-0.03), Y(cy-0.06))
		p.cubeTo(X(0.62), Y(fringe-0.03), X(0.42), Y(fringe+0.02), X(left+0.03), Y(cy-0.05))
		p.close()
		cv.fill(&p, rgb(f.hair))
	}
	switch f.hairStyle {
	case 0: // short
		cap(cy - 0.15)
	case 1: // long, parted
		cap(cy - 0.12)
		var p path
		p.stroke(curve(X(0.44), Y(top+0.04), X(0.42), Y(cy-0.1), X(0.36), Y(cy-0.08), 8), 0.006*w)
		cv.fill(&p, rgb(shade(f.hair, 1.3)))
	case 2: // bun
		cap(cy - 0.14)
		var p path
		p.ellipse(X(0.5), Y(top-0.02), 0.09*w, 0.07*h, false)
		cv.fill(&p, rgb(f.hair))
	case 3: // bald on top, short at the sides
		for _, s := range []float64{-1, 1} {
			var p path
			p.ellipse(X(0.5+s*(rx-0.015)), Y(cy-0.04), 0.035*w, 0.08*h, false)
			cv.fill(&p, rgb(f.hair))
		}
		var shine path
		shine.ellipse(X(0.45), Y(top+0.07), 0.06*w, 0.025*h, false)
		cv.fill(&shine, nrgba([3]uint8{255, 255, 255}, 50))
	case 4: // curly: curls round the crown, down to the temples
		cap(cy - 0.13)
		for i := 0; i <= 14; i++ {
			a := math.Pi * (1.05 + 0.9*float64(i)/14)
			u := 0.5 + (rx+0.005)*math.Cos(a)
			v := cy - 0.02 + (ry+0.01)*math.Sin(a)
			var p path
			p.ellipse(X(u), Y(v), 0.045*w, 0.036*h, false)
			cv.fill(&p, rgb(shade(f.hair, 0.85+0.3*float64(i%2))))
		}
	case 5: // bob with a straight fringe
		var p path
		p.moveTo(X(left-0.01), Y(cy+0.12))
		p.cubeTo(X(left-0.03), Y(top-0.03), X(right+0.03), Y(top-0.03), X(right+0.01), Y(cy+0.12))
		p.lineTo(X(right-0.03), Y(cy+0.12))
		p.lineTo(X(right-0.04), Y(cy-0.09))
		p.lineTo(X(left+0.04), Y(cy-0.09))
		p.lineTo(X(left+0.03), Y(cy+0.12))
		p.close()
		cv.fill(&p, rgb(f.hair))
	}
}
