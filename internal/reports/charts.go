package reports

import (
	"math"
	"strconv"

	"kycdesk/web"
)

// series is one kind of value a chart stacks (or groups), drawn in a CSS class's colour.
type series struct {
	name  string
	class string
}

// group is one bar (or row of bars): its label and one value per series.
type group struct {
	label  string
	values []float64
	// short is the label under a column when the full one does not fit ("01-31" for a day).
	short string
}

// chartSpec is a bar chart before layout.
type chartSpec struct {
	id, title, desc string
	// groupName heads the table's first column ("Day", "Reviewer" …).
	groupName string
	series    []series
	groups    []group
	// horizontal draws one row per group, labels on the left; otherwise one column per group.
	horizontal bool
	// grouped puts a group's series side by side instead of stacking them.
	grouped bool
	// format writes a value (axis, titles, table); integers by default.
	format func(float64) string
	// total adds a Total column to the table.
	total bool
	// whole: the values are counts (set when format is left to its default).
	whole bool
}

// Chart geometry, in SVG user units (the SVG scales to its container). The room for labels at the
// edges is measured from the labels themselves (textWidth), so none is cut by the viewBox.
const (
	chartW      = 640.0
	vChartH     = 240.0
	vPadTop     = 12.0
	vPadBottom  = 34.0
	hRowH       = 24.0
	hPadTop     = 8.0
	hPadBottom  = 22.0
	gridLines   = 4
	minBarWidth = 2.0
	// fontSize is the labels' size (.chart-svg text in reports.css).
	fontSize = 11.0
	// edge is the room kept between a label and the edge of the SVG; gap between a label and the
	// axis or bar it names.
	edge = 4.0
	gap  = 6.0
	// minPad is the least room on the left of a vertical chart, minLabelW the least label column
	// of a horizontal one, maxLabelW the most (longer labels are shortened, whole in their tooltip).
	minPad    = 8.0
	minLabelW = 60.0
	maxLabelW = chartW * 0.4
)

// niceCeil rounds v up to 1, 2 or 5 times a power of ten, so axis steps are round numbers.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	exp := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*exp >= v-1e-9 {
			return m * exp
		}
	}
	return 10 * exp
}

func intText(v float64) string { return strconv.FormatInt(int64(math.Round(v)), 10) }

// build lays the chart out.
func (s chartSpec) build() web.Chart {
	if s.format == nil {
		s.format, s.whole = intText, true
	}
	c := web.Chart{ID: s.id, Title: s.title, Desc: s.desc, Width: chartW}
	for _, se := range s.series {
		c.Legend = append(c.Legend, web.ChartLegend{Label: se.name, Class: se.class})
	}
	// The table: the numbers behind the picture.
	c.Head = []string{s.groupName}
	for _, se := range s.series {
		c.Head = append(c.Head, se.name)
	}
	if s.total {
		c.Head = append(c.Head, "Total")
	}
	max := 0.0
	for _, g := range s.groups {
		row := []string{g.label}
		sum := 0.0
		for i := range s.series {
			v := value(g, i)
			row = append(row, s.format(v))
			sum += v
			if s.grouped && v > max {
				max = v
			}
		}
		if s.total {
			row = append(row, s.format(sum))
		}
		if !s.grouped && sum > max {
			max = sum
		}
		c.Rows = append(c.Rows, row)
	}
	c.Empty = max == 0
	// Round steps: a whole number of cases per grid line, never a quarter of one.
	step := niceCeil(max / gridLines)
	if s.whole && step < 1 {
		step = 1
	}
	top := step * gridLines
	if s.horizontal {
		s.layoutHorizontal(&c, top)
	} else {
		s.layoutVertical(&c, top)
	}
	return c
}

func value(g group, i int) float64 {
	if i < len(g.values) {
		return g.values[i]
	}
	return 0
}

func f1(v float64) float64 { return math.Round(v*10) / 10 }

func (s chartSpec) layoutVertical(c *web.Chart, top float64) {
	c.Height = vChartH
	n := len(s.groups)
	every := int(math.Ceil(float64(n) / 12)) // at most a dozen labels under the bars
	under := func(gi int) string {
		if g := s.groups[gi]; g.short != "" {
			return g.short
		}
		return s.groups[gi].label
	}
	// Left: the widest value on the axis, right-aligned before it. Both sides then make room for
	// half of the first and last labels under the bars, which are centred on bars that depend on
	// the room left; twice settles it, as the room only grows.
	left := edge + gap
	for i := 0; i <= gridLines; i++ {
		left = math.Max(left, edge+textWidth(s.format(top*float64(i)/gridLines), fontSize)+gap)
	}
	left = math.Max(left, minPad)
	right := minPad
	for range 2 {
		if n == 0 {
			break
		}
		slot := (chartW - left - right) / float64(n)
		last := (n - 1) / every * every
		left = math.Max(left, edge+textWidth(under(0), fontSize)/2-slot/2)
		right = math.Max(right, edge+textWidth(under(last), fontSize)/2-slot*float64(n-last)+slot/2)
	}
	plotW, plotH := chartW-left-right, vChartH-vPadTop-vPadBottom
	base := vPadTop + plotH
	for i := 0; i <= gridLines; i++ {
		v := top * float64(i) / gridLines
		y := f1(base - plotH*float64(i)/gridLines)
		c.Grid = append(c.Grid, web.ChartLine{X1: f1(left), Y1: y, X2: f1(chartW - right), Y2: y})
		c.Labels = append(c.Labels, web.ChartText{X: f1(left - gap), Y: y + 3.5, Text: s.format(v), Anchor: "end", Class: "axis"})
	}
	if n == 0 {
		return
	}
	slot := plotW / float64(n)
	w := math.Max(minBarWidth, slot*0.7)
	for gi, g := range s.groups {
		x := left + slot*float64(gi) + (slot-w)/2
		y := base
		for i, se := range s.series {
			v := value(g, i)
			if v <= 0 {
				continue
			}
			h := plotH * v / top
			y -= h
			c.Bars = append(c.Bars, web.ChartBar{X: f1(x), Y: f1(y), W: f1(w), H: f1(h), Class: se.class,
				Title: g.label + ": " + se.name + " " + s.format(v)})
		}
		if gi%every == 0 {
			c.Labels = append(c.Labels, web.ChartText{X: f1(x + w/2), Y: base + 14, Text: under(gi), Anchor: "middle", Class: "axis"})
		}
	}
}

func (s chartSpec) layoutHorizontal(c *web.Chart, top float64) {
	n := len(s.groups)
	rowH := hRowH
	if s.grouped {
		rowH = hRowH * math.Max(1, float64(len(s.series))*0.6)
	}
	// The label column is as wide as the widest label (up to maxLabelW; a longer label is
	// shortened, and whole in its tooltip and in the table).
	labels := make([]web.ChartText, n)
	labelW := minLabelW
	for gi, g := range s.groups {
		text, whole := fitText(g.label, fontSize, maxLabelW-edge-gap)
		labels[gi] = web.ChartText{Text: text, Anchor: "end", Class: "label"}
		if !whole {
			labels[gi].Title = g.label
		}
		labelW = math.Max(labelW, edge+textWidth(text, fontSize)+gap)
	}
	// On the right: the total written after the longest bar, and half of the last value on the
	// axis, centred on the plot's end.
	right := edge + textWidth(s.format(top), fontSize)/2
	if !s.grouped {
		for _, g := range s.groups {
			sum := 0.0
			for i := range s.series {
				sum += value(g, i)
			}
			right = math.Max(right, gap/2+textWidth(s.format(sum), fontSize)*boldFactor+edge)
		}
	}
	right = math.Max(right, minPad)
	labelW = math.Ceil(labelW)
	plotH := rowH * float64(n)
	c.Height = f1(hPadTop + plotH + hPadBottom)
	plotW := chartW - labelW - right
	for i := 0; i <= gridLines; i++ {
		v := top * float64(i) / gridLines
		x := f1(labelW + plotW*float64(i)/gridLines)
		c.Grid = append(c.Grid, web.ChartLine{X1: x, Y1: hPadTop, X2: x, Y2: hPadTop + plotH})
		c.Labels = append(c.Labels, web.ChartText{X: x, Y: hPadTop + plotH + 14, Text: s.format(v), Anchor: "middle", Class: "axis"})
	}
	for gi, g := range s.groups {
		y0 := hPadTop + rowH*float64(gi)
		l := labels[gi]
		l.X, l.Y = labelW-gap, f1(y0+rowH/2+4)
		c.Labels = append(c.Labels, l)
		x := labelW
		sum := 0.0
		for i, se := range s.series {
			v := value(g, i)
			sum += v
			if v <= 0 {
				continue
			}
			w := plotW * v / top
			bar := web.ChartBar{Class: se.class, Title: g.label + ": " + se.name + " " + s.format(v)}
			if s.grouped {
				h := (rowH - 6) / float64(len(s.series))
				bar.X, bar.Y, bar.W, bar.H = labelW, f1(y0+3+h*float64(i)), f1(w), f1(h-1)
			} else {
				bar.X, bar.Y, bar.W, bar.H = f1(x), f1(y0+4), f1(w), rowH-8
				x += w
			}
			c.Bars = append(c.Bars, bar)
		}
		if !s.grouped && sum > 0 {
			c.Labels = append(c.Labels, web.ChartText{X: f1(x + gap/2), Y: f1(y0 + rowH/2 + 4), Text: s.format(sum), Anchor: "start", Class: "value"})
		}
	}
}
