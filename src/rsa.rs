//! The RSA public-key operation, RSAEP (RFC 8017 §5.1.1): `c = m^e mod n`, for 2048, 3072 and
//! 4096-bit moduli.
//!
//! A small, dedicated implementation instead of a general big-number library: it only ever needs
//! one operation with a public modulus and exponent, and in WebAssembly 32-bit limbs with 64-bit
//! products are what the machine does well. Montgomery multiplication (CIOS) with a fixed number
//! of steps and a masked final subtraction keeps the time independent of the secret message; only
//! the public exponent's bits steer the exponentiation. Every intermediate that depends on the
//! message is wiped.

use std::sync::OnceLock;

use zeroize::Zeroizing;

/// A public modulus and exponent, with the Montgomery constants precomputed.
#[derive(Clone)]
pub(crate) struct RsaPublicKey {
    /// The modulus, little-endian 32-bit limbs; its top bit is set.
    n: Vec<u32>,
    /// `-n⁻¹ mod 2³²`.
    n0: u32,
    /// `R² mod n`, where `R = 2^(32·limbs)`; computed on first use, because a key handed to
    /// WebCrypto never needs it.
    r2: OnceLock<Vec<u32>>,
    /// The public exponent.
    e: u64,
}

impl RsaPublicKey {
    /// Builds a key from the big-endian bytes of the modulus (exactly 256, 384 or 512 significant
    /// bytes, odd, top bit set: the caller has checked the size) and the exponent (odd, ≥ 3, at
    /// most 33 bits). Returns `None` if either is unusable.
    pub(crate) fn new(modulus: &[u8], exponent: &[u8]) -> Option<Self> {
        let modulus = strip_leading_zeros(modulus);
        let exponent = strip_leading_zeros(exponent);
        if modulus.is_empty() || modulus.len() % 4 != 0 || modulus[0] & 0x80 == 0 {
            return None;
        }
        if exponent.is_empty() || exponent.len() > 5 {
            return None;
        }
        let e = exponent
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        if e < 3 || e % 2 == 0 || e >= 1 << 33 {
            return None;
        }
        let n = limbs_from_be(modulus);
        if n[0] % 2 == 0 {
            return None;
        }
        let n0 = inverse_mod_2_32(n[0]).wrapping_neg();
        Some(Self {
            r2: OnceLock::new(),
            n,
            n0,
            e,
        })
    }

    /// The modulus length in bytes (`k` in RFC 8017).
    pub(crate) fn size(&self) -> usize {
        self.n.len() * 4
    }

    /// RSAEP: the big-endian `k`-byte encoding of `message^e mod n`. `message` is the `k`-byte
    /// encoded message, whose first byte is zero (so it is below `n`).
    pub(crate) fn encrypt(&self, message: &[u8]) -> Vec<u8> {
        debug_assert_eq!(message.len(), self.size());
        debug_assert_eq!(message[0], 0);
        let l = self.n.len();
        let m = Zeroizing::new(limbs_from_be(message));
        let mut scratch = Zeroizing::new(vec![0u32; l + 2]);
        // To the Montgomery domain: mR = m · R² · R⁻¹.
        let mut m_r = Zeroizing::new(vec![0u32; l]);
        let r2 = self.r2.get_or_init(|| self.compute_r2());
        self.mont_mul(&m, r2, &mut m_r, &mut scratch);
        let mut acc = Zeroizing::new(m_r.to_vec());
        let mut tmp = Zeroizing::new(vec![0u32; l]);
        // Left to right over the bits of the public exponent, below the top one.
        for bit in (0..63 - self.e.leading_zeros()).rev() {
            self.mont_mul(&acc, &acc, &mut tmp, &mut scratch);
            acc.copy_from_slice(&tmp);
            if (self.e >> bit) & 1 == 1 {
                self.mont_mul(&acc, &m_r, &mut tmp, &mut scratch);
                acc.copy_from_slice(&tmp);
            }
        }
        // Out of the Montgomery domain: c = acc · 1 · R⁻¹.
        let mut one = vec![0u32; l];
        one[0] = 1;
        self.mont_mul(&acc, &one, &mut tmp, &mut scratch);
        let out = limbs_to_be(&tmp);
        // (The ciphertext is public; the Zeroizing buffers above wipe themselves.)
        out
    }

    /// `out = a · b · R⁻¹ mod n` for `a, b < n` (CIOS). The number of steps and the memory accessed
    /// do not depend on the values; the final subtraction is masked.
    fn mont_mul(&self, a: &[u32], b: &[u32], out: &mut [u32], t: &mut [u32]) {
        let n = &self.n[..];
        let l = n.len();
        let (a, b, out, t) = (&a[..l], &b[..l], &mut out[..l], &mut t[..l + 2]);
        t.fill(0);
        for &b_i in b {
            // t += a · b_i
            let b_i = u64::from(b_i);
            let mut carry = 0u64;
            for (t_j, &a_j) in t[..l].iter_mut().zip(a) {
                let s = u64::from(*t_j) + u64::from(a_j) * b_i + carry;
                *t_j = s as u32;
                carry = s >> 32;
            }
            let s = u64::from(t[l]) + carry;
            t[l] = s as u32;
            t[l + 1] = (s >> 32) as u32;
            // t += q · n, which makes the lowest limb zero; then drop that limb.
            let q = u64::from(t[0].wrapping_mul(self.n0));
            let mut carry = 0u64;
            for (t_j, &n_j) in t[..l].iter_mut().zip(n) {
                let s = u64::from(*t_j) + q * u64::from(n_j) + carry;
                *t_j = s as u32;
                carry = s >> 32;
            }
            let s = u64::from(t[l]) + carry;
            t[l] = s as u32;
            t[l + 1] += (s >> 32) as u32;
            t.copy_within(1..l + 2, 0);
            t[l + 1] = 0;
        }
        // t < 2n: subtract n when t ≥ n, that is when t has a top limb or the subtraction does
        // not borrow; choose with a mask, not a branch.
        let mut borrow = 0u64;
        for ((o, &t_j), &n_j) in out.iter_mut().zip(&t[..l]).zip(n) {
            let d = u64::from(t_j)
                .wrapping_sub(u64::from(n_j))
                .wrapping_sub(borrow);
            *o = d as u32;
            borrow = (d >> 63) & 1;
        }
        let keep_difference = (u64::from(t[l]) | (borrow ^ 1)) & 1;
        let mask = 0u32.wrapping_sub(keep_difference as u32);
        for (o, &t_j) in out.iter_mut().zip(&t[..l]) {
            *o = (*o & mask) | (t_j & !mask);
        }
    }

    /// `R² mod n`: `R mod n` is `2^(32l) − n` (the top bit of `n` is set); doubling it `l` times
    /// gives `2^l · R`, and five Montgomery squarings turn that into `2^(32l) · R = R²`.
    fn compute_r2(&self) -> Vec<u32> {
        let l = self.n.len();
        let mut x: Vec<u32> = vec![0; l];
        sub_in_place(&mut x, &self.n);
        for _ in 0..l {
            let carry = x[l - 1] >> 31;
            for j in (1..l).rev() {
                x[j] = (x[j] << 1) | (x[j - 1] >> 31);
            }
            x[0] <<= 1;
            if carry == 1 || !less_than(&x, &self.n) {
                sub_in_place(&mut x, &self.n);
            }
        }
        let mut t = vec![0u32; l + 2];
        let mut y = vec![0u32; l];
        for _ in 0..5 {
            self.mont_mul(&x, &x, &mut y, &mut t);
            x.copy_from_slice(&y);
        }
        x
    }
}

/// `a < b` for equal-length little-endian numbers (public values only: it branches).
fn less_than(a: &[u32], b: &[u32]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// `a -= b` modulo `2^(32·len)`.
fn sub_in_place(a: &mut [u32], b: &[u32]) {
    let mut borrow = 0u64;
    for (x, y) in a.iter_mut().zip(b) {
        let d = u64::from(*x)
            .wrapping_sub(u64::from(*y))
            .wrapping_sub(borrow);
        *x = d as u32;
        borrow = (d >> 63) & 1;
    }
}

/// `x⁻¹ mod 2³²` for odd `x` (Newton's iteration doubles the correct bits each step).
fn inverse_mod_2_32(x: u32) -> u32 {
    let mut inv = 1u32;
    for _ in 0..5 {
        inv = inv.wrapping_mul(2u32.wrapping_sub(x.wrapping_mul(inv)));
    }
    inv
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// Big-endian bytes (a multiple of 4 long) to little-endian limbs.
fn limbs_from_be(bytes: &[u8]) -> Vec<u32> {
    bytes
        .rchunks(4)
        .map(|c| c.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)))
        .collect()
}

/// Little-endian limbs to big-endian bytes.
fn limbs_to_be(limbs: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(limbs.len() * 4);
    for limb in limbs.iter().rev() {
        out.extend_from_slice(&limb.to_be_bytes());
    }
    out
}

impl PartialEq for RsaPublicKey {
    fn eq(&self, other: &Self) -> bool {
        // The precomputed constants follow from these.
        self.n == other.n && self.e == other.e
    }
}

impl Eq for RsaPublicKey {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverses_mod_2_32() {
        for x in [1u32, 3, 65537, 0xFFFF_FFFF, 0x1234_5679] {
            assert_eq!(x.wrapping_mul(inverse_mod_2_32(x)), 1);
        }
    }

    #[test]
    fn limbs_round_trip() {
        let bytes: Vec<u8> = (0..16).collect();
        assert_eq!(limbs_to_be(&limbs_from_be(&bytes)), bytes);
        assert_eq!(limbs_from_be(&[0, 0, 0, 1, 0, 0, 0, 2]), vec![2, 1]);
    }

    /// A 64-bit modulus (two limbs) against u128 arithmetic: `m^e mod n`.
    #[test]
    fn small_moduli_agree_with_u128_arithmetic() {
        let moduli = [
            0xF000_0000_0000_0001u64,
            0xFFFF_FFFF_FFFF_FFC5,
            0xC000_0000_0000_0033,
        ];
        for n in moduli {
            let key = RsaPublicKey::new(&n.to_be_bytes(), &[1, 0, 1]).unwrap();
            for m in [0u64, 1, 2, 0x0012_3456_789A_BCDE, 0x00FF_FFFF_FFFF_FFFF] {
                let mut expected: u128 = 1;
                let (mut base, mut e) = (u128::from(m) % u128::from(n), 65537u32);
                while e > 0 {
                    if e & 1 == 1 {
                        expected = expected * base % u128::from(n);
                    }
                    base = base * base % u128::from(n);
                    e >>= 1;
                }
                let got = key.encrypt(&m.to_be_bytes());
                assert_eq!(got, (expected as u64).to_be_bytes(), "n={n:x} m={m:x}");
            }
        }
    }

    #[test]
    fn unusable_parameters_are_refused() {
        let n = 0xF000_0000_0000_0001u64.to_be_bytes();
        assert!(RsaPublicKey::new(&n, &[2]).is_none(), "even exponent");
        assert!(RsaPublicKey::new(&n, &[1]).is_none(), "exponent 1");
        assert!(
            RsaPublicKey::new(&n, &[2, 0, 0, 0, 0, 1]).is_none(),
            "exponent too large"
        );
        assert!(
            RsaPublicKey::new(&0xF000_0000_0000_0002u64.to_be_bytes(), &[3]).is_none(),
            "even modulus"
        );
        assert!(
            RsaPublicKey::new(&0x7000_0000_0000_0001u64.to_be_bytes(), &[3]).is_none(),
            "top bit clear"
        );
    }
}
