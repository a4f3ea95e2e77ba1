// Package words writes things the way pages, messages and reports say them in English.
package words

import (
	"strconv"
	"strings"
)

// Join writes a list the way people do: "a", "a and b", "a, b and c".
func Join(items []string) string { return join(items, "and") }

// JoinOr writes a list of alternatives: "a", "a or b", "a, b or c".
func JoinOr(items []string) string { return join(items, "or") }

func join(items []string, last string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + last + " " + items[len(items)-1]
}

// YesNo is b as "yes" or "no".
func YesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// PassFail is b as "pass" or "fail".
func PassFail(b bool) string {
	if b {
		return "pass"
	}
	return "fail"
}

// Count is n with its noun: "1 call", "4 calls".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
