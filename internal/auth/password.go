package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters: OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane).
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPasswordLength and MaxPasswordLength bound a password.
const (
	MinPasswordLength = 12
	MaxPasswordLength = 256
)

// CheckPasswordPolicy returns a plain message when password is not acceptable for the user with
// that email: too short or long, only spaces, one character repeated, or the email address (or
// its name part) itself, the first thing anyone would try.
func CheckPasswordPolicy(password, email string) error {
	n := utf8.RuneCountInString(password)
	lower := strings.ToLower(password)
	email = strings.ToLower(strings.TrimSpace(email))
	local, _, _ := strings.Cut(email, "@")
	switch {
	case n < MinPasswordLength:
		return fmt.Errorf("Use at least %d characters.", MinPasswordLength)
	case n > MaxPasswordLength:
		return fmt.Errorf("Use at most %d characters.", MaxPasswordLength)
	case strings.TrimSpace(password) == "":
		return errors.New("The password cannot be only spaces.")
	case strings.Count(lower, lower[:utf8.RuneLen([]rune(lower)[0])]) == n:
		return errors.New("Use more than one character, repeated.")
	case email != "" && strings.Contains(lower, email), local != "" && strings.TrimSpace(lower) == local:
		return errors.New("Do not use your email address as the password.")
	}
	return nil
}

// HashPassword returns the argon2id hash of password in the PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// dummyHash is compared against when the email is unknown, so the answer takes as long as for a
// known email and timing reveals nothing.
var dummyHash, _ = HashPassword("kycdesk-dummy-password-for-timing")

// VerifyPassword reports whether password matches the encoded hash. An empty or malformed hash
// never matches, but costs the same time.
func VerifyPassword(encoded, password string) bool {
	if encoded == "" {
		encoded = dummyHash
		password = "\x00" + password
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// GeneratePassword returns a random password of 20 characters from an unambiguous alphabet.
func GeneratePassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	// Group in fives so it can be read aloud or typed from a screen.
	return fmt.Sprintf("%s-%s-%s-%s", b[0:5], b[5:10], b[10:15], b[15:20])
}

// TokenHash is how every handed-out secret token (set-password links, API tokens) is stored: its
// SHA-256. The tokens carry 256 random bits, so a fast hash is enough.
func TokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
