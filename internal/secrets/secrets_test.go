package secrets

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLocalKeyIsCreatedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	k1, err := Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k1.Encrypt(ctx, []byte("client-secret-value"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("client-secret-value")) {
		t.Fatal("not encrypted")
	}
	st, err := os.Stat(filepath.Join(dir, "secrets.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	k2, err := Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := k2.Decrypt(ctx, sealed)
	if err != nil || string(plain) != "client-secret-value" {
		t.Fatalf("decrypt with the reopened key: %q %v", plain, err)
	}
	if _, err := Open(ctx, "base64key://c2VjcmV0", dir); err == nil || strings.Contains(err.Error(), "c2VjcmV0") {
		t.Fatalf("bad keeper URL: %v", err)
	}
}

// TestKMSKeepersAreBuiltIn: production keeper URLs reach their drivers (a URL with no driver
// would say "no driver registered"); opening does not need the KMS itself.
func TestKMSKeepersAreBuiltIn(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("VAULT_SERVER_URL", "http://127.0.0.1:1")
	t.Setenv("VAULT_SERVER_TOKEN", "test")
	for _, url := range []string{"awskms://alias/kycdesk?region=eu-west-1", "gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k", "hashivault://kycdesk"} {
		_, err := Open(context.Background(), url, t.TempDir())
		if err != nil && strings.Contains(err.Error(), "no keeper for this scheme") {
			t.Errorf("%s: %v", url, err)
		}
	}
	_, err := Open(context.Background(), "nosuch://secret-in-url", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no keeper for this scheme") || strings.Contains(err.Error(), "secret-in-url") {
		t.Errorf("unknown scheme: %v", err)
	}
}
