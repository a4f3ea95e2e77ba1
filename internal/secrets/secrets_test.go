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
