package users

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"kycdesk/internal/db"
	"kycdesk/web"
)

// The user page's history lists the audit events whose subject is the user, the way the case
// timeline lists a case's (cases.Describe): each action has its words here, next to the code that
// writes it, and an action without words is shown by its code. The actions are those written with
// subject type "user": here (service.go), by sessions (sign-in, password change and set-password
// link) and by the demo seed. A sign-in is the session's event, not the user's: the page does not
// list it.

// Describe says what an audit event on a user did, in a line an admin reads without the audit
// log's codes: "Role changed from reviewer to manager", "Locked after 5 failed sign-ins". An
// action it does not know is said by its code.
func Describe(e db.AuditEvent) string {
	after := object(e.After)
	switch e.Action {
	case "user.create":
		d := "Created"
		if user, _ := after["user"].(map[string]any); user != nil {
			if role, _ := user["role"].(string); role != "" {
				d += " as " + role
			}
		}
		switch Setup(str(after, "setup")) {
		case SetupLink:
			d += ", with a set-password link"
		case SetupPassword:
			d += ", with a temporary password"
		case SetupGiven:
			d += ", with a password given on the command line"
		}
		if str(after, "via") == "demo seed" {
			d += " (demo seed)"
		}
		return d
	case "user.role_change":
		was, now := str(object(e.Before), "role"), str(after, "role")
		switch {
		case was != "" && now != "":
			return "Role changed from " + was + " to " + now
		case now != "":
			return "Role changed to " + now
		}
		return "Role changed"
	case "user.disable":
		return "Disabled"
	case "user.enable":
		return "Enabled"
	case "user.lock":
		if n, ok := num(after, "failures"); ok && n > 0 {
			return "Locked after " + plural(n, "failed sign-in", "failed sign-ins")
		}
		return "Locked"
	case "user.unlock":
		return "Unlocked"
	case "user.sign_in_failures_clear":
		// Unlock on an account that was not locked: the failures counted towards a lock go.
		return "Failed sign-ins cleared (the account was not locked)"
	case "auth.sign_in_failed":
		// The password was right when the row says why it was refused: the account is locked or
		// disabled (sessions/login.go).
		switch {
		case flag(after, "disabled"):
			return "Sign-in refused: the account is disabled"
		case flag(after, "locked"):
			return "Sign-in refused: the account is locked"
		}
		return "Sign-in failed"
	case "user.password_link":
		return "Set-password link issued"
	case "user.temporary_password":
		return "Temporary password issued"
	case "user.password_change":
		return "Password changed"
	case "user.password_change_failed":
		if reason := str(after, "reason"); reason != "" {
			return "Password change refused: " + reason
		}
		return "Password change refused"
	case "user.password_set":
		switch str(after, "via") {
		case "one-time link":
			return "Password set with a set-password link"
		case "demo seed":
			return "Password reset (demo seed)"
		}
		return "Password set"
	}
	return e.Action
}

// Detail says what else an audit event on a user is worth a line for (the sessions a disabling
// ended, a link's expiry, where a sign-in came from), or "". An action Describe does not know has
// its row in words, as far as they fit a table cell.
func Detail(e db.AuditEvent) string {
	after := object(e.After)
	var parts []string
	add := func(s string) {
		if s != "" {
			parts = append(parts, s)
		}
	}
	count := func(key, one, many string) {
		if n, ok := num(after, key); ok {
			add(plural(n, one, many))
		}
	}
	switch e.Action {
	case "user.disable", "user.role_change":
		count("sessions_ended", "session ended", "sessions ended")
		if n, ok := num(after, "cases_released"); ok && n > 0 {
			add(plural(n, "open case", "open cases") + " sent back to the queue")
		}
	case "user.temporary_password":
		count("sessions_ended", "session ended", "sessions ended")
	case "user.password_link":
		if t, err := time.Parse(time.RFC3339Nano, str(after, "expires_at")); err == nil {
			add("valid until " + web.Stamp(t))
		}
	case "user.password_change":
		if flag(after, "other_sessions_ended") {
			add("other sessions signed out")
		}
	case "user.password_change_failed":
		count("failures", "wrong password in a row", "wrong passwords in a row")
	case "auth.sign_in_failed":
		count("failures", "failed sign-in in a row", "failed sign-ins in a row")
	case "user.create", "user.enable", "user.lock", "user.unlock", "user.sign_in_failures_clear",
		"user.password_set":
		// Their words say it all; the user's record as it was is the page itself.
	default:
		add(inWords(e.After))
	}
	if e.IP != "" {
		add("from " + e.IP)
	}
	return strings.Join(parts, "; ")
}

// object is an audit row's JSON object, nil when it is not one.
func object(b []byte) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func flag(m map[string]any, k string) bool {
	b, _ := m[k].(bool)
	return b
}

// num is a whole number the row holds under k.
func num(m map[string]any, k string) (int, bool) {
	f, ok := m[k].(float64)
	if !ok || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

// plural is n and the thing counted: "1 session ended", "3 sessions ended".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// inWords is an audit row's JSON object as "what: value" pairs (keys in words, sorted; nested
// records left out), or "" when it is not one or says too much for a table cell.
func inWords(b []byte) string {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil || len(m) == 0 {
		return ""
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		switch x := v.(type) {
		case bool:
			v = map[bool]string{true: "yes", false: "no"}[x]
		case map[string]any:
			continue // the user's record as it was: the page shows the user
		case []any:
			raw, _ := json.Marshal(x)
			v = strings.Trim(strings.ReplaceAll(string(raw), `"`, ""), "[]")
		}
		parts = append(parts, fmt.Sprintf("%s: %v", strings.ReplaceAll(k, "_", " "), v))
	}
	out := strings.Join(parts, ", ")
	if len(out) > 300 {
		return ""
	}
	return out
}
