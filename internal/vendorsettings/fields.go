// Package vendorsettings is how admins configure the vendor integrations: per vendor and
// environment (sandbox, production), base URLs and paths, credentials (encrypted at rest, shown
// only as "set", never rendered back or logged), enabled, timeout and concurrency. The admin pages
// and `kycdesk vendor set` share one Service. Resolve turns the active settings into a client
// configuration, or the built-in simulator's when a vendor has no credentials yet.
package vendorsettings

import (
	"strings"

	"kycdesk/internal/vendors"
)

// Field is one setting of a vendor integration.
type Field struct {
	Name     string // the form field, CLI flag and JSON key
	Label    string
	Secret   bool   // encrypted at rest, never shown again
	URL      bool   // must be https in production (plain http only on loopback)
	Default  string // used when left empty
	Required bool   // needed before the integration can be enabled
	Hint     string
	// MinLength is the shortest value accepted (0: any).
	MinLength int
	// Inbound marks a secret kycdesk is sent rather than sends (a callback token): moving the
	// integration's addresses does not ask for it again.
	Inbound bool
}

// Address reports whether the field decides where kycdesk sends requests, and with them the
// integration's secrets: a base URL or a path. Changing one requires every stored secret of the
// integration to be typed again (Service.Save), or an admin session could point the stored
// credentials at a host of its own and press Test to read them there.
func (f Field) Address() bool {
	return f.URL || f.Name == "path" || strings.HasSuffix(f.Name, "_path")
}

// Integration describes one vendor integration and its settings.
type Integration struct {
	Vendor vendors.Name
	Label  string
	Kind   string // what its checks are: "ocr", "recognition", "face_match", "liveness_delivery"
	Fields []Field
}

// Integrations lists the five integrations in the order pages show them.
var Integrations = []Integration{
	{Vendor: vendors.CynopsisOCR, Label: "Cynopsis OCR / IDV v2", Kind: "ocr", Fields: []Field{
		{Name: "auth_url", Label: "Auth base URL", URL: true, Required: true, Hint: "e.g. https://crm-demo.cynopsis.co"},
		{Name: "token_path", Label: "Token path", Default: "/oauth/token"},
		{Name: "ocr_url", Label: "OCR base URL", URL: true, Required: true, Hint: "e.g. https://d1.cynopsis.co"},
		{Name: "ocr_path", Label: "OCR path", Default: "/service/v2/ocr"},
		{Name: "client_id", Label: "Client ID", Required: true},
		{Name: "client_secret", Label: "Client secret", Secret: true, Required: true},
		{Name: "domain_id", Label: "Domain ID", Required: true, Hint: "The integer tenant id Cynopsis assigned (X-Domain-Id)"},
	}},
	{Vendor: vendors.Artemis, Label: "Cynopsis Artemis", Kind: "liveness_delivery", Fields: []Field{
		{Name: "auth_url", Label: "Auth base URL", URL: true, Required: true, Hint: "e.g. https://crm-demo.cynopsis.co"},
		{Name: "token_path", Label: "Token path", Default: "/oauth/token"},
		{Name: "artemis_url", Label: "Artemis base URL", URL: true, Required: true, Hint: "e.g. https://api1.artemisuat.cynopsis.co"},
		{Name: "api_path", Label: "API path", Default: "/api", Hint: "Before /customer/…"},
		{Name: "client_id", Label: "Client ID", Required: true},
		{Name: "client_secret", Label: "Client secret", Secret: true, Required: true},
		{Name: "domain_id", Label: "Domain ID", Required: true, Hint: "X-Domain-ID"},
		{Name: "callback_token", Label: "Callback token", Secret: true, Inbound: true, MinLength: 24,
			Hint: "Artemis' callbacks are heard at KYCDESK_BASE_URL/callbacks/artemis/<this token>: give Cynopsis that URL. 24 characters or more; none set, callbacks are refused."},
		{Name: "callback_allow", Label: "Callback addresses",
			Hint: "IP addresses or CIDR ranges Artemis calls back from, comma-separated (e.g. 203.0.113.7, 198.51.100.0/24); empty: any address"},
	}},
	{Vendor: vendors.Apptenticate, Label: "Apptenticate ID Reader Plus v3", Kind: "ocr", Fields: []Field{
		{Name: "base_url", Label: "Base URL", URL: true, Required: true, Hint: "e.g. https://api.apptenticate.com"},
		{Name: "token_path", Label: "Token path", Default: "/api/token/"},
		{Name: "refresh_path", Label: "Refresh path", Default: "/api/token/refresh/"},
		{Name: "ocr_path", Label: "OCR path", Default: "/api/v3/ocr/"},
		{Name: "username", Label: "Username", Required: true},
		{Name: "password", Label: "Password", Secret: true, Required: true},
		{Name: "device", Label: "Device", Default: "DESKTOP", Hint: "IOS, ANDROID or DESKTOP"},
	}},
	{Vendor: vendors.Argos, Label: "Argos ID recognition", Kind: "recognition", Fields: []Field{
		{Name: "base_url", Label: "Base URL", URL: true, Required: true},
		{Name: "path", Label: "Recognition path", Default: "/modules/recognition"},
		{Name: "api_key", Label: "API key", Secret: true, Required: true},
		{Name: "mode", Label: "Mode", Default: "sync", Hint: "sync, or async (Argos calls kycdesk back at KYCDESK_BASE_URL)"},
		{Name: "callback_wait_minutes", Label: "Callback wait (minutes)", Hint: "async: how long a check waits for Argos' callback before it fails; 10 when empty"},
	}},
	{Vendor: vendors.OOTO, Label: "OOTO document + selfie", Kind: "face_match", Fields: []Field{
		{Name: "base_url", Label: "Base URL", URL: true, Required: true},
		{Name: "path", Label: "Identify path", Default: "/api/v1.0/doc/identify"},
		{Name: "app_id", Label: "APP-ID", Required: true},
		{Name: "app_key", Label: "APP-KEY", Secret: true, Required: true},
	}},
}

// Lookup returns the integration for v.
func Lookup(v vendors.Name) (Integration, bool) {
	for _, in := range Integrations {
		if in.Vendor == v {
			return in, true
		}
	}
	return Integration{}, false
}

// Label is a vendor integration's name as pages show it ("OOTO document + selfie"); the code
// itself for a vendor kycdesk does not know.
func Label(v vendors.Name) string {
	if in, ok := Lookup(v); ok {
		return in.Label
	}
	return string(v)
}

// Environments are the two environments each integration is configured for.
var Environments = []string{"sandbox", "production"}
