package cli

import (
	"errors"
	"io/fs"
	"os"

	"github.com/relproof/relproof/internal/sign"
)

// loadKeySigner reads a private key file into a signer. The password comes
// from the environment and never appears in errors.
func loadKeySigner(env *Env, path string) (*sign.KeySigner, error) {
	data, err := readKey(path, "private key")
	if err != nil {
		return nil, err
	}
	key, err := sign.ParsePrivateKey(path, data, []byte(env.Getenv(PasswordEnv)))
	if err != nil {
		return nil, err
	}
	return sign.NewKeySigner(key)
}

// readKey reads a key file. Key material pasted where the path belongs
// (easy with `key: ${{ secrets.X }}`) is refused without being shown.
func readKey(path, what string) ([]byte, error) {
	shown := sign.RedactKeyRef(path)
	if shown == sign.InlineKey {
		return nil, usageErrorf("%s: expected a file path (or a KMS or PKCS#11 URI), found %s: write the key to a file and pass its path", what, sign.InlineKey)
	}
	return readNamed(path, shown, what)
}

// readInput reads a file the user named; a missing or unreadable file is a
// usage error that says which flag's file it was.
func readInput(path, what string) ([]byte, error) { return readNamed(path, path, what) }

// readNamed reads path, naming it shown in errors.
func readNamed(path, shown, what string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usageErrorf("%s %s: no such file", what, shown)
		}
		return nil, usageErrorf("%s %s: %s", what, shown, sign.Redact(err.Error(), path))
	}
	return data, nil
}
