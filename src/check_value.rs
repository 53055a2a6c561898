//! Key check values: the first three bytes of one block of zeros encrypted under the key, with
//! AES (FIPS-197) for AES keys and SM4 (GB/T 32907-2016) for SM4 keys.
//!
//! One block per key is all this needs, so both ciphers are written out here, small, instead of
//! pulling in general-purpose implementations (which cost the npm package kilobytes). They are
//! constant-time: the S-boxes are computed — inversion in GF(2⁸) by a fixed chain of
//! multiplications, then the affine maps — rather than looked up, so no memory access depends on
//! the key. Every key-derived buffer is wiped.

use zeroize::Zeroizing;

/// `AES-ECB(key, 0¹²⁸)` for a 16, 24 or 32-byte key; `None` for another length.
pub(crate) fn aes_zero_block(key: &[u8]) -> Option<[u8; 16]> {
    let nk = match key.len() {
        16 | 24 | 32 => key.len() / 4,
        _ => return None,
    };
    let rounds = nk + 6;
    // Key expansion (FIPS-197 §5.2), as bytes: 4·(rounds+1) words.
    let mut w = Zeroizing::new(vec![0u8; 16 * (rounds + 1)]);
    w[..key.len()].copy_from_slice(key);
    let mut rcon = 1u8;
    for i in nk..4 * (rounds + 1) {
        let mut t = [w[4 * i - 4], w[4 * i - 3], w[4 * i - 2], w[4 * i - 1]];
        if i % nk == 0 {
            t = [
                aes_sbox(t[1]) ^ rcon,
                aes_sbox(t[2]),
                aes_sbox(t[3]),
                aes_sbox(t[0]),
            ];
            rcon = xtime(rcon);
        } else if nk > 6 && i % nk == 4 {
            t = t.map(aes_sbox);
        }
        for j in 0..4 {
            w[4 * i + j] = w[4 * (i - nk) + j] ^ t[j];
        }
    }
    let mut state = Zeroizing::new([0u8; 16]);
    add(&mut state, &w[..16]);
    for round in 1..=rounds {
        state.iter_mut().for_each(|b| *b = aes_sbox(*b));
        // ShiftRows: row r (bytes r, r+4, …) rotates left by r.
        let s = *state;
        for c in 0..4 {
            for r in 0..4 {
                state[4 * c + r] = s[4 * ((c + r) % 4) + r];
            }
        }
        if round != rounds {
            for column in state.chunks_exact_mut(4) {
                let [a0, a1, a2, a3] = [column[0], column[1], column[2], column[3]];
                let all = a0 ^ a1 ^ a2 ^ a3;
                column[0] ^= all ^ xtime(a0 ^ a1);
                column[1] ^= all ^ xtime(a1 ^ a2);
                column[2] ^= all ^ xtime(a2 ^ a3);
                column[3] ^= all ^ xtime(a3 ^ a0);
            }
        }
        add(&mut state, &w[16 * round..16 * round + 16]);
    }
    Some(*state)
}

/// `SM4(key, 0¹²⁸)` for a 16-byte key; `None` for another length.
pub(crate) fn sm4_zero_block(key: &[u8]) -> Option<[u8; 16]> {
    const FK: [u32; 4] = [0xA3B1_BAC6, 0x56AA_3350, 0x677D_9197, 0xB270_22DC];
    if key.len() != 16 {
        return None;
    }
    let mut k = Zeroizing::new([0u32; 36]);
    for i in 0..4 {
        k[i] = u32::from_be_bytes([key[4 * i], key[4 * i + 1], key[4 * i + 2], key[4 * i + 3]])
            ^ FK[i];
    }
    for i in 0..32 {
        // CK_i: bytes (4i + j)·7 mod 256.
        let ck = u32::from_be_bytes([0, 1, 2, 3].map(|j| ((4 * i + j) * 7 % 256) as u8));
        let b = sm4_tau(k[i + 1] ^ k[i + 2] ^ k[i + 3] ^ ck);
        k[i + 4] = k[i] ^ b ^ b.rotate_left(13) ^ b.rotate_left(23);
    }
    let mut x = Zeroizing::new([0u32; 36]);
    for i in 0..32 {
        let b = sm4_tau(x[i + 1] ^ x[i + 2] ^ x[i + 3] ^ k[i + 4]);
        x[i + 4] =
            x[i] ^ b ^ b.rotate_left(2) ^ b.rotate_left(10) ^ b.rotate_left(18) ^ b.rotate_left(24);
    }
    let mut out = [0u8; 16];
    for (chunk, word) in out.chunks_exact_mut(4).zip([x[35], x[34], x[33], x[32]]) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    Some(out)
}

fn add(state: &mut [u8; 16], round_key: &[u8]) {
    state.iter_mut().zip(round_key).for_each(|(s, k)| *s ^= k);
}

/// Multiplication by x in AES's field (x⁸ + x⁴ + x³ + x + 1), without a branch.
fn xtime(a: u8) -> u8 {
    (a << 1) ^ (0x1B & 0u8.wrapping_sub(a >> 7))
}

/// Multiplication in GF(2⁸) modulo x⁸ + `poly`, a fixed eight steps whatever the values.
fn gf_mul(mut a: u8, mut b: u8, poly: u8) -> u8 {
    let mut product = 0u8;
    for _ in 0..8 {
        product ^= a & 0u8.wrapping_sub(b & 1);
        a = (a << 1) ^ (poly & 0u8.wrapping_sub(a >> 7));
        b >>= 1;
    }
    product
}

/// `x²⁵⁴`, the multiplicative inverse (and 0 for 0), by a fixed addition chain:
/// x³, x⁷, x¹⁵, x¹²⁰, x¹²⁷, x²⁵⁴.
fn gf_inverse(x: u8, poly: u8) -> u8 {
    let sq = |a: u8| gf_mul(a, a, poly);
    let x3 = gf_mul(sq(x), x, poly);
    let x7 = gf_mul(sq(x3), x, poly);
    let x15 = gf_mul(sq(x7), x, poly);
    let x120 = sq(sq(sq(x15)));
    sq(gf_mul(x120, x7, poly))
}

/// The AES S-box (FIPS-197 §5.1.1): the affine map of the inverse modulo x⁸ + x⁴ + x³ + x + 1.
fn aes_sbox(x: u8) -> u8 {
    let b = gf_inverse(x, 0x1B);
    b ^ b.rotate_left(1) ^ b.rotate_left(2) ^ b.rotate_left(3) ^ b.rotate_left(4) ^ 0x63
}

/// The SM4 S-box: `A·(A·x + C)⁻¹ + C` with `A` the circulant matrix of 0xA7 and `C` = 0xD3, the
/// inverse taken modulo x⁸ + x⁷ + x⁶ + x⁵ + x⁴ + x² + 1 (Liu et al., 2007; checked against
/// the standard's table in the tests).
fn sm4_sbox(x: u8) -> u8 {
    let affine = |v: u8| -> u8 {
        (0..8).fold(0u8, |out, i| {
            out | ((((0xA7u8.rotate_left(i) & v).count_ones() & 1) as u8) << i)
        })
    };
    affine(gf_inverse(affine(x) ^ 0xD3, 0xF5)) ^ 0xD3
}

fn sm4_tau(word: u32) -> u32 {
    u32::from_be_bytes(word.to_be_bytes().map(sm4_sbox))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn inverses_multiply_to_one() {
        for poly in [0x1B, 0xF5] {
            assert_eq!(gf_inverse(0, poly), 0);
            for x in 1..=255u8 {
                assert_eq!(
                    gf_mul(x, gf_inverse(x, poly), poly),
                    1,
                    "x={x} poly={poly:#x}"
                );
            }
        }
    }

    #[test]
    fn s_boxes_match_the_standards() {
        // FIPS-197 Figure 7 and GB/T 32907 Table 1, first and last entries.
        assert_eq!(
            [0x00, 0x01, 0x53, 0xFF].map(aes_sbox),
            [0x63, 0x7C, 0xED, 0x16]
        );
        assert_eq!(
            [0x00, 0x01, 0x02, 0xFF].map(sm4_sbox),
            [0xD6, 0x90, 0xE9, 0x48]
        );
    }

    #[test]
    fn sm4_s_box_is_the_standard_table() {
        // GB/T 32907-2016 Table 1, row by row.
        const TABLE: &str = "d690e9fecce13db716b614c228fb2c052b679a762abe04c3aa441326498606999c4250f491ef987a33540b43edcfac62e4b31ca9c908e89580df94fa758f3fa64707a7fcf37317ba83593c19e6854fa8686b81b27164da8bf8eb0f4b70569d351e240e5e6358d1a225227c3b01217887d40046579fd327524c3602e7a0c4c89eeabf8ad240c738b5a3f7f2cef96115a1e0ae5da49b341a55ad933230f58cb1e31df6e22e8266ca60c02923ab0d534e6fd5db3745defd8e2f03ff6a726d6c5b518d1baf92bbddbc7f11d95c411f105ad80ac13188a5cd7bbd2d74d012b8e5b4b08969974a0c96777e65b9f109c56ec68418f07dec3adc4d2079ee5f3ed7cb3948";
        let table = hex(TABLE);
        for x in 0..=255u8 {
            assert_eq!(sm4_sbox(x), table[usize::from(x)], "x={x:#04x}");
        }
    }

    #[test]
    fn published_vectors() {
        // The FIPS-197 / SP 800-38A AES-128 example key on the zero block (openssl enc
        // -aes-128-ecb agrees); the openssl tests cover every key size with random keys.
        assert_eq!(
            aes_zero_block(&hex("2b7e151628aed2a6abf7158809cf4f3c"))
                .unwrap()
                .to_vec(),
            hex("7df76b0c1ab899b33e42f047b91b546f")
        );
        // GB/T 32907 example key with the zero block (openssl enc -sm4-ecb).
        assert_eq!(
            sm4_zero_block(&hex("0123456789abcdeffedcba9876543210")).unwrap()[..3].to_vec(),
            hex("2677f4")
        );
        assert!(aes_zero_block(&[0; 20]).is_none());
        assert!(sm4_zero_block(&[0; 32]).is_none());
    }
}
