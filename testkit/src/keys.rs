//! Deterministic OpenPGP signing keys for synthetic distributions and vendors.
//!
//! Each key is derived from a seed made of its file name, so the key material, fingerprint and
//! key id, and even the armored files, are the same on every machine and in every run.

use pgp::composed::{KeyType, SecretKeyParamsBuilder, SignedSecretKey};
use pgp::types::KeyDetails;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

/// Errors while generating or using a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The pgp crate rejected the parameters or failed to generate.
    #[error("generating key {name}: {message}")]
    Generate {
        /// Key file name.
        name: String,
        /// What went wrong.
        message: String,
    },
}

/// Which algorithm a synthetic key uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum KeyAlgorithm {
    /// RSA with the given bit size (what every real EL distribution uses).
    Rsa(u32),
}

/// A generated key pair with its armored forms.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyPair {
    /// File name of the public key, e.g. `RPM-GPG-KEY-AlmaLinux-9`.
    pub name: String,
    /// The user id on the key.
    pub user_id: String,
    /// Long key id, lowercase hex (16 digits), as `rpm -K` prints it.
    pub key_id: String,
    /// Fingerprint, lowercase hex.
    pub fingerprint: String,
    /// ASCII-armored public key.
    pub public_armored: String,
    /// ASCII-armored secret key (unprotected: test keys only).
    #[serde(skip)]
    pub secret_armored: String,
}

/// Fixed key creation time: 2020-01-01T00:00:00Z.
const KEY_CREATED_AT: u32 = 1_577_836_800;

/// Generates the key called `name` with `user_id`, deterministically.
pub fn generate(name: &str, user_id: &str, algorithm: KeyAlgorithm) -> Result<KeyPair, KeyError> {
    let err = |message: String| KeyError::Generate {
        name: name.to_string(),
        message,
    };
    let seed: [u8; 32] = Sha256::digest(format!("leapfrog-testkit-key:{name}").as_bytes()).into();
    let mut rng = ChaCha20Rng::from_seed(seed);
    let KeyAlgorithm::Rsa(bits) = algorithm;
    let params = SecretKeyParamsBuilder::default()
        .key_type(KeyType::Rsa(bits))
        .can_certify(true)
        .can_sign(true)
        .primary_user_id(user_id.to_string())
        .created_at(pgp::types::Timestamp::from_secs(KEY_CREATED_AT))
        .build()
        .map_err(|e| err(e.to_string()))?;
    let mut secret: SignedSecretKey = params.generate(&mut rng).map_err(|e| err(e.to_string()))?;
    pin_self_signatures(&mut secret).map_err(|e| err(e.to_string()))?;
    let public = secret.to_public_key();
    let public_armored = public
        .to_armored_string(Default::default())
        .map_err(|e| err(e.to_string()))?;
    let secret_armored = secret
        .to_armored_string(Default::default())
        .map_err(|e| err(e.to_string()))?;
    Ok(KeyPair {
        name: name.to_string(),
        user_id: user_id.to_string(),
        key_id: hex::encode(public.legacy_key_id().as_ref()),
        fingerprint: hex::encode(public.fingerprint().as_bytes()),
        public_armored,
        secret_armored,
    })
}

/// The pgp crate stamps self-signatures with the current time; re-sign every user id binding
/// with [`KEY_CREATED_AT`] so the armored key is the same in every run. RSA PKCS#1 v1.5
/// signatures are deterministic, so the bytes are then fully reproducible.
fn pin_self_signatures(key: &mut SignedSecretKey) -> pgp::errors::Result<()> {
    use pgp::packet::{Subpacket, SubpacketData};
    use pgp::types::{Password, Tag};
    let fixed = pgp::types::Timestamp::from_secs(KEY_CREATED_AT);
    let primary = key.primary_key.clone();
    for user in &mut key.details.users {
        let mut resigned = Vec::with_capacity(user.signatures.len());
        for sig in &user.signatures {
            let Some(config) = sig.config() else {
                resigned.push(sig.clone());
                continue;
            };
            let mut config = config.clone();
            for sp in &mut config.hashed_subpackets {
                if matches!(sp.data, SubpacketData::SignatureCreationTime(_)) {
                    *sp = Subpacket::regular(SubpacketData::SignatureCreationTime(fixed))?;
                }
            }
            resigned.push(config.sign_certification(
                &primary,
                primary.public_key(),
                &Password::empty(),
                Tag::UserId,
                &user.id,
            )?);
        }
        user.signatures = resigned;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_deterministic_and_distinct() {
        let a = generate(
            "RPM-GPG-KEY-test-a",
            "A <a@example.org>",
            KeyAlgorithm::Rsa(2048),
        )
        .unwrap();
        let a2 = generate(
            "RPM-GPG-KEY-test-a",
            "A <a@example.org>",
            KeyAlgorithm::Rsa(2048),
        )
        .unwrap();
        let b = generate(
            "RPM-GPG-KEY-test-b",
            "B <b@example.org>",
            KeyAlgorithm::Rsa(2048),
        )
        .unwrap();
        assert_eq!(a.fingerprint, a2.fingerprint);
        assert_eq!(
            a.public_armored, a2.public_armored,
            "armored key is reproducible"
        );
        assert_eq!(a.key_id.len(), 16);
        assert_ne!(a.key_id, b.key_id);
        assert!(a.public_armored.contains("BEGIN PGP PUBLIC KEY BLOCK"));
        assert!(rpm::signature::pgp::Signer::from_asc(&a.secret_armored).is_ok());
    }
}
