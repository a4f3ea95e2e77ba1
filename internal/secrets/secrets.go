// Package secrets encrypts vendor credentials at rest. Without configuration it uses a local key,
// generated once into the data directory (mode 0600); in production a KMS or Vault keeper URL
// (gocloud.dev/secrets) takes its place, so several instances share one key and none holds it on
// disk. Values are never logged or rendered back: pages show only whether a secret is set.
package secrets

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gocloud.dev/secrets"
	_ "gocloud.dev/secrets/awskms"     // awskms:// : AWS KMS
	_ "gocloud.dev/secrets/gcpkms"     // gcpkms:// : Google Cloud KMS
	_ "gocloud.dev/secrets/hashivault" // hashivault:// : HashiCorp Vault transit
	"gocloud.dev/secrets/localsecrets"
)

// Keeper encrypts and decrypts small values.
type Keeper struct {
	k *secrets.Keeper
}

// Open returns the keeper for url; an empty url means the local key under dataDir (created on
// first use).
func Open(ctx context.Context, url, dataDir string) (*Keeper, error) {
	if url == "" {
		key, err := localKey(filepath.Join(dataDir, "secrets.key"))
		if err != nil {
			return nil, err
		}
		return &Keeper{k: localsecrets.NewKeeper(key)}, nil
	}
	k, err := secrets.OpenKeeper(ctx, url)
	if err != nil {
		// Never echo the URL: a base64key:// URL is the key itself.
		scheme, _, _ := strings.Cut(url, "://")
		cause := errors.Unwrap(err)
		if cause == nil {
			cause = errors.New("no keeper for this scheme: use base64key://, awskms://, gcpkms:// or hashivault://")
		}
		return nil, fmt.Errorf("open secrets keeper (%s://…): %w", scheme, cause)
	}
	return &Keeper{k: k}, nil
}

// FromKey returns a keeper with a fixed key (tests).
func FromKey(key [32]byte) *Keeper { return &Keeper{k: localsecrets.NewKeeper(key)} }

func localKey(path string) ([32]byte, error) {
	var key [32]byte
	b, err := os.ReadFile(path)
	if err == nil {
		return localsecrets.Base64Key(strings.TrimSpace(string(b)))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return key, fmt.Errorf("read the secrets key: %w", err)
	}
	if key, err = localsecrets.NewRandomKey(); err != nil {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return key, err
	}
	// O_EXCL: two instances starting at once must not both write a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return localKey(path)
	}
	if err != nil {
		return key, fmt.Errorf("create the secrets key: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(base64.URLEncoding.EncodeToString(key[:]) + "\n"); err != nil {
		return key, err
	}
	return key, f.Sync()
}

// Encrypt seals plaintext.
func (k *Keeper) Encrypt(ctx context.Context, plaintext []byte) ([]byte, error) {
	return k.k.Encrypt(ctx, plaintext)
}

// Decrypt opens what Encrypt sealed.
func (k *Keeper) Decrypt(ctx context.Context, ciphertext []byte) ([]byte, error) {
	return k.k.Decrypt(ctx, ciphertext)
}

// Close releases the keeper.
func (k *Keeper) Close() error { return k.k.Close() }
