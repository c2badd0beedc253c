//! permessage-deflate (RFC 7692) as case data: the payload files of categories 12 and 13,
//! the answers the harness gives as a server, and what a case needs negotiated.

use std::sync::OnceLock;

/// A payload file Autobahn's categories 12 and 13 send slices of (`cases/data/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Corpus {
    /// `data1.json`, sent as text.
    Json,
    /// `lena512.bmp`, sent as binary.
    Lena,
    /// `pg2229.txt` (Faust I), sent as binary.
    Faust,
    /// `data1.html`, sent as text.
    Html,
    /// `10.1.1.105.5439.pdf`, sent as binary.
    Pdf,
}

impl Corpus {
    /// Autobahn's order of the subcategories 12.1 to 12.5.
    pub const ALL: [Corpus; 5] = [
        Corpus::Json,
        Corpus::Lena,
        Corpus::Faust,
        Corpus::Html,
        Corpus::Pdf,
    ];

    /// File name under `cases/data/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Corpus::Json => "data1.json",
            Corpus::Lena => "lena512.bmp",
            Corpus::Faust => "pg2229.txt",
            Corpus::Html => "data1.html",
            Corpus::Pdf => "10.1.1.105.5439.pdf",
        }
    }

    /// Autobahn's description of the file.
    pub fn description(self) -> &'static str {
        match self {
            Corpus::Json => "Large JSON data file",
            Corpus::Lena => "Lena Picture, Bitmap 512x512 bw",
            Corpus::Faust => "Human readable text, Goethe's Faust I (German)",
            Corpus::Html => "Large HTML file",
            Corpus::Pdf => "A larger PDF",
        }
    }

    /// Whether messages go out as binary (Autobahn's flag; the Faust text is binary too).
    pub fn is_binary(self) -> bool {
        !matches!(self, Corpus::Json | Corpus::Html)
    }

    /// The file's octets.
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Corpus::Json => include_bytes!("../data/data1.json"),
            Corpus::Lena => include_bytes!("../data/lena512.bmp"),
            Corpus::Faust => include_bytes!("../data/pg2229.txt"),
            Corpus::Html => include_bytes!("../data/data1.html"),
            Corpus::Pdf => include_bytes!("../data/10.1.1.105.5439.pdf"),
        }
    }

    /// Octet offset of every slicing unit: characters for text files (Autobahn slices the
    /// decoded string), octets for binary ones (`None`: the identity).
    fn unit_offsets(self) -> Option<&'static [usize]> {
        static JSON: OnceLock<Vec<usize>> = OnceLock::new();
        static HTML: OnceLock<Vec<usize>> = OnceLock::new();
        let cell = match self {
            Corpus::Json => &JSON,
            Corpus::Html => &HTML,
            _ => return None,
        };
        Some(cell.get_or_init(|| {
            let text = String::from_utf8_lossy(self.bytes());
            text.char_indices().map(|(i, _)| i).collect()
        }))
    }

    /// Length of the file in slicing units.
    pub fn units(self) -> usize {
        self.unit_offsets()
            .map_or(self.bytes().len(), <[usize]>::len)
    }

    /// The message Autobahn sends next: `len` units from unit `from`, wrapping around the
    /// end of the file. Returns the octets and the unit where the next message starts.
    pub fn slice(self, from: usize, len: usize) -> (Vec<u8>, usize) {
        let units = self.units();
        if len == 0 || units == 0 {
            return (Vec::new(), from);
        }
        let from = from % units;
        let to = (from + len) % units;
        let at = |unit: usize| -> usize {
            match self.unit_offsets() {
                Some(offsets) => offsets.get(unit).copied().unwrap_or(self.bytes().len()),
                None => unit,
            }
        };
        let bytes = self.bytes();
        let mut out = Vec::with_capacity(len);
        if to > from {
            out.extend_from_slice(&bytes[at(from)..at(to)]);
        } else {
            out.extend_from_slice(&bytes[at(from)..]);
            out.extend_from_slice(&bytes[..at(to)]);
        }
        (out, to)
    }
}

/// One answer the harness, as a server, gives a client's permessage-deflate offer
/// (Autobahn's `PerMessageDeflateOfferAccept`): it always accepts the offer's own
/// `server_*` parameters and may ask the client for more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeflateAccept {
    /// Answer `client_no_context_takeover`; fits only an offer that allows it.
    pub client_no_context_takeover: bool,
    /// Answer `client_max_window_bits=N`; fits only an offer that names the parameter.
    pub client_max_window_bits: Option<u8>,
}

/// What a case needs from the permessage-deflate negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Negotiation {
    /// Used when agreed, not needed otherwise.
    #[default]
    Optional,
    /// The case is about compression: without the extension agreed it is UNIMPLEMENTED
    /// (Autobahn's categories 12 and 13).
    Required,
    /// The offer is invalid and a server must decline it (RFC 7692 §5): accepting it
    /// fails the case, refusing the whole handshake is NON-STRICT.
    MustDecline,
}

/// A case's permessage-deflate set-up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Compression {
    /// What the case needs agreed.
    pub negotiation: Negotiation,
    /// Server mode: answers tried in order against the client's offers; the first that fits
    /// one offer is sent; if none fits, the extension is declined.
    pub server_accepts: Vec<DeflateAccept>,
}

impl Compression {
    /// Needed, answered in server mode with the first fitting answer of `accepts`.
    pub fn required(accepts: &[DeflateAccept]) -> Self {
        Compression {
            negotiation: Negotiation::Required,
            server_accepts: accepts.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_files_slice_by_characters_and_wrap() {
        let units = Corpus::Html.units();
        assert!(
            units < Corpus::Html.bytes().len(),
            "data1.html has multi-octet characters"
        );
        let (first, next) = Corpus::Html.slice(0, 16);
        assert_eq!(next, 16);
        assert_eq!(String::from_utf8(first).unwrap().chars().count(), 16);
        let (wrapped, next) = Corpus::Html.slice(units - 3, 10);
        assert_eq!(next, 7);
        assert_eq!(String::from_utf8(wrapped).unwrap().chars().count(), 10);
    }

    #[test]
    fn binary_files_slice_by_octets() {
        let len = Corpus::Pdf.bytes().len();
        assert_eq!(Corpus::Pdf.units(), len);
        let (m, next) = Corpus::Pdf.slice(len - 2, 4);
        assert_eq!(next, 2);
        assert_eq!(
            m,
            [&Corpus::Pdf.bytes()[len - 2..], &Corpus::Pdf.bytes()[..2]].concat()
        );
    }
}
