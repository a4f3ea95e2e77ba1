package vendorsettings

import "testing"

// TestAddressAllowed: the list an admin types (addresses and CIDR ranges, comma-separated) is
// read the same way the form validates it.
func TestAddressAllowed(t *testing.T) {
	list := "203.0.113.7, 198.51.100.0/24 ,2001:db8::/32"
	for ip, want := range map[string]bool{
		"203.0.113.7": true, "203.0.113.8": false, "198.51.100.200": true, "::ffff:198.51.100.1": true,
		"2001:db8::5": true, "2001:db9::5": false, "not an ip": false, "": false,
	} {
		if got := AddressAllowed(list, ip); got != want {
			t.Errorf("%q: %v, want %v", ip, got, want)
		}
	}
	if AddressAllowed("garbage, 10.0.0.0/8", "10.1.2.3") != true || AddressAllowed("garbage", "10.1.2.3") {
		t.Error("an unreadable entry must neither allow nor block the others")
	}
}
