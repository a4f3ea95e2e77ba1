package reports

import (
	"strings"
	"unicode"
)

// The charts are laid out on the server, where the browser's font cannot be measured. Their labels
// are measured with DejaVu Sans' advance widths instead: the widest of the fonts the page's
// sans-serif stack ends up with (system-ui, Segoe UI, Roboto, Noto Sans, Liberation Sans and Arial
// are all narrower), so a label that fits by this measure fits in the browser too.

// dejaVuSans is DejaVu Sans' advance width, in em, of each printable ASCII character from ' '.
var dejaVuSans = [95]float64{
	0.318, 0.401, 0.460, 0.838, 0.636, 0.950, 0.780, 0.275, 0.390, 0.390, 0.500, 0.838, 0.318, 0.361, 0.318, 0.337, // ' ' to '/'
	0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, // '0' to '9'
	0.337, 0.337, 0.838, 0.838, 0.838, 0.531, 1.000, // ':' to '@'
	0.684, 0.686, 0.698, 0.770, 0.632, 0.575, 0.775, 0.752, 0.295, 0.295, 0.656, 0.557, 0.863, // 'A' to 'M'
	0.748, 0.787, 0.603, 0.787, 0.695, 0.635, 0.611, 0.732, 0.684, 0.989, 0.685, 0.611, 0.685, // 'N' to 'Z'
	0.390, 0.337, 0.390, 0.838, 0.500, 0.500, // '[' to '`'
	0.613, 0.635, 0.550, 0.635, 0.615, 0.352, 0.635, 0.634, 0.278, 0.278, 0.579, 0.278, 0.974, // 'a' to 'm'
	0.634, 0.612, 0.635, 0.635, 0.411, 0.521, 0.392, 0.634, 0.592, 0.818, 0.592, 0.592, 0.525, // 'n' to 'z'
	0.636, 0.337, 0.636, 0.838, // '{' to '~'
}

// boldFactor widens a measure for text drawn bold (the values beside the bars).
const boldFactor = 1.1

// runeWidth is one character's width in em: from the table for ASCII, else by its kind (accented
// letters about as wide as their base, anything else, such as CJK, a full em).
func runeWidth(r rune) float64 {
	switch {
	case r >= ' ' && r <= '~':
		return dejaVuSans[r-' ']
	case r == '…' || r == '—':
		return 1
	case unicode.IsUpper(r):
		return 0.8
	case unicode.IsLower(r):
		return 0.64
	case unicode.IsMark(r):
		return 0
	}
	return 1
}

// textWidth is the width of s drawn at size, in the units of size.
func textWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		w += runeWidth(r)
	}
	return w * size
}

// fitText returns s, or s shortened with an ellipsis so that it is at most width wide at size; ok
// is false when it had to be shortened.
func fitText(s string, size, width float64) (string, bool) {
	if textWidth(s, size) <= width {
		return s, true
	}
	r := []rune(s)
	w := textWidth("…", size)
	n := 0
	for n < len(r) && w+runeWidth(r[n])*size <= width {
		w += runeWidth(r[n]) * size
		n++
	}
	return strings.TrimRight(string(r[:n]), " ") + "…", false
}
