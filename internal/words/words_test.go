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
