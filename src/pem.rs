//! PEM text (RFC 7468) as users paste it: one or more blocks, with explanatory text around them
//! (`openssl x509 -text`, `Bag Attributes` from `openssl pkcs12`, an `EC PARAMETERS` block before
//! an `EC PRIVATE KEY`). This module only finds where each block starts and ends; the
//! `pem-rfc7468` crate decodes it.

use zeroize::Zeroizing;

/// One `-----BEGIN x-----` … `-----END x-----` block, not yet decoded.
pub(crate) struct Block<'a> {
    /// The label, e.g. `PUBLIC KEY`.
    pub(crate) label: &'a str,
    /// The block's text, from its BEGIN line to the end of its END line.
    text: &'a str,
}

impl Block<'_> {
    /// Decodes the block's base64 into `out` (which is cleared first). The buffer is sized
    /// before decoding, so a secret is written into it once and never moved.
    pub(crate) fn decode_into(&self, out: &mut Zeroizing<Vec<u8>>) -> Result<(), ()> {
        out.clear();
        let mut decoder =
            pem_rfc7468::Decoder::new_detect_wrap(self.text.as_bytes()).map_err(|_| ())?;
        let len = decoder.remaining_len();
        out.reserve_exact(len);
        decoder.decode_to_end(out).map_err(|_| ())?;
        Ok(())
    }

    /// Whether the block has RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`), which only legacy
    /// encrypted keys carry and RFC 7468 does not allow.
    pub(crate) fn has_headers(&self) -> bool {
        self.text.lines().skip(1).any(|line| line.contains(':'))
    }
}

/// Whether `input` looks like PEM text.
pub(crate) fn is_pem(input: &[u8]) -> bool {
    input.windows(11).any(|w| w == b"-----BEGIN ")
}

/// The complete blocks of `text`, in order. A BEGIN without its matching END is skipped.
pub(crate) fn blocks(text: &str) -> Vec<Block<'_>> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let from_begin = &rest[start..];
        let Some(label) = from_begin["-----BEGIN ".len()..]
            .split_once("-----")
            .map(|(label, _)| label)
            .filter(|label| !label.contains('\n'))
        else {
            rest = &from_begin["-----BEGIN ".len()..];
            continue;
        };
        let end_line = format!("-----END {label}-----");
        match from_begin.find(&end_line) {
            Some(end) => {
                let end = end + end_line.len();
                blocks.push(Block {
                    label,
                    text: &from_begin[..end],
                });
                rest = &from_begin[end..];
            }
            None => rest = &from_begin["-----BEGIN ".len()..],
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_between_explanatory_text() {
        let text = "Bag Attributes\n-----BEGIN A-----\nAAEC\n-----END A-----\nnoise\n\
                    -----BEGIN B-----\nAw==\n-----END B-----\n-----BEGIN C-----\nAA==\n";
        let found = blocks(text);
        let labels: Vec<&str> = found.iter().map(|b| b.label).collect();
        assert_eq!(labels, ["A", "B"]);
        let mut out = Zeroizing::new(Vec::new());
        found[0].decode_into(&mut out).unwrap();
        assert_eq!(&out[..], &[0, 1, 2]);
        found[1].decode_into(&mut out).unwrap();
        assert_eq!(&out[..], &[3]);
    }

    #[test]
    fn bad_base64_is_an_error_not_a_panic() {
        let found = blocks("-----BEGIN A-----\n!!!!\n-----END A-----\n");
        let mut out = Zeroizing::new(Vec::new());
        assert!(found[0].decode_into(&mut out).is_err());
    }
}
