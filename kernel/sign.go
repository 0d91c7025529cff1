package kernel

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// signer signs and verifies messages with HMAC-SHA256 over the header,
// parent header, metadata and content frames, as a hex digest. With no key
// messages are not signed and any signature is accepted, as the protocol
// says.
type signer struct {
	key []byte
}

// sign returns the hex signature of the four frames, or nil without a key.
func (s signer) sign(header, parent, metadata, content []byte) []byte {
	if len(s.key) == 0 {
		return nil
	}
	return s.digest(header, parent, metadata, content)
}

// verify says whether sig is the signature of the four frames.
func (s signer) verify(sig, header, parent, metadata, content []byte) bool {
	if len(s.key) == 0 {
		return true
	}
	return hmac.Equal(sig, s.digest(header, parent, metadata, content))
}

func (s signer) digest(parts ...[]byte) []byte {
	mac := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		mac.Write(p)
	}
	var sum [sha256.Size]byte
	out := make([]byte, hex.EncodedLen(sha256.Size))
	hex.Encode(out, mac.Sum(sum[:0]))
	return out
}
