//! Pure functions: object key decoding, streaming SHA-256, HMAC-SHA256 signing, the manifest body.

use std::str::Utf8Error;

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What hashing an object yields: its size in bytes and its SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectDigest {
    pub size: u64,
    pub sha256: [u8; 32],
}

/// Hashes an object chunk by chunk, counting its bytes, so no object is ever held whole.
#[derive(Clone, Default)]
pub struct ObjectHasher {
    hasher: Sha256,
    size: u64,
}

impl ObjectHasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, chunk: &[u8]) {
        self.hasher.update(chunk);
        // usize -> u64 never truncates on the 64-bit targets Lambda runs.
        self.size = self.size.saturating_add(chunk.len() as u64);
    }

    pub fn finish(self) -> ObjectDigest {
        ObjectDigest {
            size: self.size,
            sha256: self.hasher.finalize().into(),
        }
    }
}

/// An object key as S3 notifications carry it (form-urlencoded: `+` is a space, `%XX` a byte)
/// decoded to the key itself. Fails when the decoded bytes are not UTF-8.
pub fn decode_key(raw: &str) -> Result<String, Utf8Error> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|key| key.into_owned())
}

/// The bytes the signature covers: `"{bucket}\n{key}\n{size}\n{sha256}"`.
pub fn signed_message(bucket: &str, key: &str, size: u64, sha256_hex: &str) -> String {
    format!("{bucket}\n{key}\n{size}\n{sha256_hex}")
}

/// Lower-case hex HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> Result<String, hmac::digest::InvalidLength> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key)?;
    mac.update(message);
    Ok(hex::encode(mac.finalize().into_bytes()))
}

/// The manifest written next to (never into) the input bucket. Field order is the JSON order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    pub sha256: String,
    pub signature: String,
}

impl Manifest {
    /// The manifest of `key` in `bucket`, signed with `signing_key` (the secret's string value).
    pub fn signed(
        bucket: &str,
        key: &str,
        digest: &ObjectDigest,
        signing_key: &str,
    ) -> Result<Self, hmac::digest::InvalidLength> {
        let sha256 = hex::encode(digest.sha256);
        let message = signed_message(bucket, key, digest.size, &sha256);
        let signature = hmac_sha256_hex(signing_key.as_bytes(), message.as_bytes())?;
        Ok(Self {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            size: digest.size,
            sha256,
            signature,
        })
    }
}

/// Where the manifest of `key` goes in the output bucket.
pub fn manifest_key(prefix: &str, key: &str) -> String {
    format!("{prefix}{key}.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest_of(chunks: &[&[u8]]) -> ObjectDigest {
        let mut hasher = ObjectHasher::new();
        for chunk in chunks {
            hasher.update(chunk);
        }
        hasher.finish()
    }

    #[test]
    fn sha256_known_vectors() {
        let empty = digest_of(&[]);
        assert_eq!(empty.size, 0);
        assert_eq!(
            hex::encode(empty.sha256),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let abc = digest_of(&[b"abc"]);
        assert_eq!(abc.size, 3);
        assert_eq!(
            hex::encode(abc.sha256),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn chunking_does_not_change_the_digest() {
        let text: &[u8] = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        let whole = digest_of(&[text]);
        let (a, rest) = text.split_at(5);
        let (b, c) = rest.split_at(30);
        assert_eq!(digest_of(&[a, b, &[], c]), whole);
        assert_eq!(whole.size, 56);
        assert_eq!(
            hex::encode(whole.sha256),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn hmac_sha256_rfc4231_vectors() {
        // RFC 4231, test case 2.
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?").unwrap(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // RFC 4231, test case 6: a key longer than the block size.
        assert_eq!(
            hmac_sha256_hex(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )
            .unwrap(),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn an_empty_key_is_still_a_key() {
        // HMAC accepts any key length; an empty secret string must not panic.
        assert_eq!(
            hmac_sha256_hex(b"", b"").unwrap(),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"
        );
    }

    #[test]
    fn keys_decode_with_form_urlencoded_semantics() {
        assert_eq!(
            decode_key("incoming/my+file%C3%A9.txt").unwrap(),
            "incoming/my fileé.txt"
        );
        assert_eq!(decode_key("a%2Bb").unwrap(), "a+b");
        assert_eq!(decode_key("Happy%20Face.jpg").unwrap(), "Happy Face.jpg");
        assert_eq!(decode_key("plain/key.txt").unwrap(), "plain/key.txt");
        // A `%` not followed by two hex digits stays as it is.
        assert_eq!(decode_key("100%25+sure%zz").unwrap(), "100% sure%zz");
    }

    #[test]
    fn keys_that_decode_to_invalid_utf8_are_rejected() {
        assert!(decode_key("bad%FF").is_err());
        assert!(decode_key("half%C3").is_err());
    }

    #[test]
    fn the_manifest_body_is_exact() {
        let digest = digest_of(&[b"abc"]);
        let manifest = Manifest::signed("uploads", "incoming/a b.txt", &digest, "k3y").unwrap();
        let expected_signature = hmac_sha256_hex(
            b"k3y",
            b"uploads\nincoming/a b.txt\n3\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        )
        .unwrap();
        assert_eq!(manifest.signature, expected_signature);
        assert_eq!(
            serde_json::to_string(&manifest).unwrap(),
            format!(
                "{{\"bucket\":\"uploads\",\"key\":\"incoming/a b.txt\",\"size\":3,\
                 \"sha256\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\",\
                 \"signature\":\"{expected_signature}\"}}"
            )
        );
    }

    #[test]
    fn the_signed_message_joins_the_fields_with_newlines() {
        assert_eq!(signed_message("b", "k", 42, "ff"), "b\nk\n42\nff");
        assert_eq!(
            manifest_key("manifests/", "incoming/x.txt"),
            "manifests/incoming/x.txt.json"
        );
    }
}
