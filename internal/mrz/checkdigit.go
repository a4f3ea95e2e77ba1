package mrz

import "fmt"

// CheckDigit computes the ICAO 9303 check digit of s: digits count as themselves, A to Z as 10 to
// 35, '<' as 0, weighted 7, 3, 1 from the left, sum modulo 10. It returns the digit as a character
// ('0' to '9'); any other character in s is an error, wrapping ErrCharacter.
func CheckDigit(s string) (byte, error) {
	weights := [3]int{7, 3, 1}
	sum := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'A' && c <= 'Z':
			v = int(c-'A') + 10
		case c == '<':
			v = 0
		default:
			return 0, fmt.Errorf("%w: %q at position %d", ErrCharacter, c, i+1)
		}
		sum += v * weights[i%3]
	}
	return byte('0' + sum%10), nil
}
