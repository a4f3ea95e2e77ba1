package words

import "testing"

func TestJoin(t *testing.T) {
	for in, want := range map[string][]string{"": nil, "a": {"a"}, "a and b": {"a", "b"}, "a, b and c": {"a", "b", "c"}} {
		if got := Join(want); got != in {
			t.Errorf("Join(%q) = %q, want %q", want, got, in)
		}
	}
	if got := JoinOr([]string{"a", "b", "c"}); got != "a, b or c" {
		t.Errorf("JoinOr = %q", got)
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 calls", 1: "1 call", 4: "4 calls"} {
		if got := Count(n, "call", "calls"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
