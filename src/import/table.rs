//! Reading the CSV exports that Brazilian providers bring from their old
//! systems and spreadsheets: decides the encoding on evidence (UTF-8,
//! UTF-16, Windows-1252, or UTF-8 with a few Windows-1252 lines, each one
//! repaired and reported), the delimiter (`;`, `,` or tab), normalizes header
//! names, skips blank rows and keeps each row's real line number for messages.
//! A broken row (a quote left open, too few fields) is refused with its line
//! and the rows after it are still read; NUL characters are dropped.
//!
//! Not for: mapping columns to domain types or deciding which columns an import
//! needs (callers do that with [`Table::column`] and [`Table::missing`]),
//! writing CSV, or files too large to hold in memory.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};

/// A CSV file read into memory: normalized header names and data rows with
/// their 1-based line numbers in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Header names, normalized by the same rule as [`Table::column`] uses
    /// ("Nome Fantasia" → "nome_fantasia"); an empty header cell stays "".
    pub headers: Vec<String>,
    /// Data rows in file order, blank rows left out.
    pub rows: Vec<Row>,
    /// The delimiter that was detected: `b';'`, `b','` or `b'\t'`.
    pub delimiter: u8,
    /// The encoding the file was decoded from: "UTF-8" or "windows-1252"
    /// (or "UTF-16LE" / "UTF-16BE" for Excel's "Unicode text"). A file of both
    /// is named for the most of it; the other lines are in `warnings`.
    pub encoding: &'static str,
    /// Rows that could not be read as a record, with line and reason; nothing
    /// of them is in `rows`.
    pub refused: Vec<(usize, String)>,
    /// What was read but repaired or left out, with line and reason.
    pub warnings: Vec<(usize, String)>,
}

/// One data row of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line in the file where the record starts (a quoted field may
    /// span several lines).
    pub line: usize,
    /// The fields, trimmed; the row may be shorter or longer than the header.
    pub fields: Vec<String>,
}

impl Table {
    /// Index of a header (already normalized, e.g. "nome_fantasia"), if present.
    ///
    /// The name is normalized again, so "Nome Fantasia" finds the same column.
    /// An empty name never matches.
    pub fn column(&self, name: &str) -> Option<usize> {
        let wanted = normalize_header(name);
        if wanted.is_empty() {
            return None;
        }
        self.headers.iter().position(|header| *header == wanted)
    }

    /// The required headers that are missing, in the order given.
    pub fn missing(&self, required: &[&str]) -> Vec<String> {
        required.iter().filter(|name| self.column(name).is_none()).map(|name| (*name).to_owned()).collect()
    }
}

impl Row {
    /// The trimmed field at column `idx`, "" when the row is shorter or `idx`
    /// is `None` (so `row.get(table.column("x"))` works for optional columns).
    pub fn get(&self, idx: Option<usize>) -> &str {
        idx.and_then(|i| self.fields.get(i)).map_or("", String::as_str)
    }
}

/// Why a file could not be read as a table.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// No bytes, or only a BOM and whitespace.
    #[error("arquivo vazio")]
    Empty,
    /// There is content, but every row is blank (e.g. only `;;;`).
    #[error("o arquivo não tem cabeçalho")]
    NoHeader,
    /// The header's quotes never close.
    #[error("aspas sem fechamento no cabeçalho (linha {0})")]
    Header(usize),
    /// Two header cells normalize to the same name, so a column would be ambiguous.
    #[error("a coluna \"{0}\" aparece mais de uma vez no cabeçalho")]
    DuplicateColumn(String),
}

/// Reads a whole CSV file: detects encoding and delimiter, normalizes the
/// header (the first non-blank record) and returns the non-blank data rows.
///
/// A first line `sep=;` (as Excel writes it) sets the delimiter and is skipped.
/// A file with a header and no data rows is not an error: `rows` is empty.
/// A data row with fewer fields than the header, or whose quoted field runs
/// past its line without making a whole row, is refused and reading goes on
/// at the next line; cells beyond the header are reported, not read.
pub fn read_table(bytes: &[u8]) -> Result<Table, TableError> {
    let decoded = decode(bytes);
    let mut warnings = Vec::new();
    let mut text = decoded.text;
    if !decoded.repaired.is_empty() {
        let lines = lines_of(&text, &decoded.repaired);
        let why = match decoded.encoding {
            "UTF-8" => "caracteres fora do UTF-8 lidos como Windows-1252; confira os acentos",
            _ => "trecho em UTF-8 num arquivo Windows-1252, lido como UTF-8; confira os acentos",
        };
        warnings.extend(lines.into_iter().map(|line| (line, why.to_owned())));
    }
    if text.contains('\0') {
        let offsets: Vec<usize> = text.match_indices('\0').map(|(i, _)| i).collect();
        let lines = lines_of(&text, &offsets);
        let first = lines.first().copied().unwrap_or(1);
        warnings.push((
            first,
            format!("{} caracteres nulos removidos, em {} linha(s) a partir desta", offsets.len(), lines.len()),
        ));
        text = text.replace('\0', "");
    }
    if text.trim().is_empty() {
        return Err(TableError::Empty);
    }

    let (body, line_offset, delimiter) = match excel_sep_line(&text) {
        Some((delimiter, rest)) => (rest, 1, delimiter),
        None => (text.as_str(), 0, detect_delimiter(&text)),
    };

    let mut records = Records { text: body, pos: 0, line: line_offset + 1, delimiter: char::from(delimiter) };
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut refused = Vec::new();
    while let Some(record) = records.next_record() {
        if record.fields.iter().all(String::is_empty) && record.problem.is_none() {
            continue;
        }
        let Some(header) = &headers else {
            if record.problem.is_some() {
                return Err(TableError::Header(record.line));
            }
            headers = Some(normalize_headers(&record.fields)?);
            continue;
        };
        let expected = header.len();
        let swallowed = record.spans_lines
            && (record.fields.len() != expected
                || record.fields.iter().any(|f| holds_a_row(f, char::from(delimiter), expected)));
        if record.problem.is_some() || swallowed {
            refused.push((
                record.line,
                "aspas sem fechamento: o campo entre aspas passa do fim da linha; nada desta linha foi importado"
                    .into(),
            ));
            records.restart_after_first_line(&record);
            continue;
        }
        if record.fields.len() < expected {
            refused.push((
                record.line,
                format!(
                    "a linha tem {} campos e o cabeçalho tem {expected}; nada desta linha foi importado",
                    record.fields.len()
                ),
            ));
            continue;
        }
        let extra: Vec<&str> = record.fields[expected..].iter().map(String::as_str).filter(|f| !f.is_empty()).collect();
        if !extra.is_empty() {
            warnings.push((
                record.line,
                format!(
                    "{} célula(s) além do cabeçalho não foram importadas: {}",
                    extra.len(),
                    extra.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        rows.push(Row { line: record.line, fields: record.fields });
    }

    let headers = headers.ok_or(TableError::NoHeader)?;
    warnings.sort();
    Ok(Table { headers, rows, delimiter, encoding: decoded.encoding, refused, warnings })
}

/// Whether a field that spans lines holds, after its first line, a line that
/// looks like a whole row (as many delimiters as the header has): the sign of
/// a quote left open that swallowed the rows after it, even when the count
/// of fields happens to come out right. An address or a note typed over
/// several lines in a spreadsheet cell does not look like that.
fn holds_a_row(field: &str, delimiter: char, columns: usize) -> bool {
    columns >= 2 && field.split(['\n', '\r']).skip(1).any(|line| line.matches(delimiter).count() + 1 >= columns)
}

/// A record as read, before it is judged against the header.
struct Record {
    /// Line where it starts.
    line: usize,
    /// Whether a quoted field of it runs past the end of its first line.
    spans_lines: bool,
    /// Trimmed fields.
    fields: Vec<String>,
    /// Why it is not a record at all (a quote still open at the end of the file).
    problem: Option<&'static str>,
    /// Byte offset and line number just after the record's first line.
    after_first_line: (usize, usize),
}

/// RFC 4180 records with their line numbers: quotes may hold delimiters,
/// doubled quotes and line breaks; a quote inside an unquoted field is text.
/// A lone CR ends a line too (old Mac exports); CRLF counts once.
struct Records<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    delimiter: char,
}

impl Records<'_> {
    fn next_record(&mut self) -> Option<Record> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start_line = self.line;
        let mut after_first_line = None;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut chars = self.text[self.pos..].char_indices().peekable();
        let base = self.pos;
        let mut in_quotes = false;
        let mut spans_lines = false;
        let mut at_field_start = true;
        let mut end = self.text.len();
        let mut problem = None;
        while let Some((i, c)) = chars.next() {
            let line_break = match c {
                '\r' => {
                    if let Some((_, '\n')) = chars.peek() {
                        chars.next();
                    }
                    true
                }
                '\n' => true,
                _ => false,
            };
            if line_break {
                self.line += 1;
                let next = chars.peek().map_or(self.text.len(), |(j, _)| base + j);
                if after_first_line.is_none() {
                    after_first_line = Some((next, self.line));
                }
                if !in_quotes {
                    end = next;
                    break;
                }
                spans_lines = true;
                field.push(c);
                if c == '\r' && self.text[base + i..].starts_with("\r\n") {
                    field.push('\n');
                }
                continue;
            }
            if in_quotes {
                if c == '"' {
                    if let Some((_, '"')) = chars.peek() {
                        chars.next();
                        field.push('"');
                    } else {
                        in_quotes = false;
                    }
                } else {
                    field.push(c);
                }
            } else if c == self.delimiter {
                fields.push(std::mem::take(&mut field).trim().to_owned());
                at_field_start = true;
                continue;
            } else if c == '"' && at_field_start && field.trim().is_empty() {
                field.clear();
                in_quotes = true;
            } else {
                field.push(c);
            }
            at_field_start = false;
        }
        if in_quotes {
            problem = Some("quote");
        }
        fields.push(field.trim().to_owned());
        self.pos = end;
        Some(Record {
            line: start_line,
            spans_lines,
            fields,
            problem,
            after_first_line: after_first_line.unwrap_or((self.text.len(), self.line)),
        })
    }

    /// Reads on from the line after `record`'s first one, as if the record
    /// had ended there.
    fn restart_after_first_line(&mut self, record: &Record) {
        (self.pos, self.line) = record.after_first_line;
    }
}

/// The 1-based lines of `offsets` (sorted byte offsets into `text`), each once.
fn lines_of(text: &str, offsets: &[usize]) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut line = 1;
    let mut scanned = 0;
    let bytes = text.as_bytes();
    for &offset in offsets {
        for i in scanned..offset.min(bytes.len()) {
            let is_break = match bytes[i] {
                b'\n' => true,
                b'\r' => bytes.get(i + 1) != Some(&b'\n'),
                _ => false,
            };
            if is_break {
                line += 1;
            }
        }
        scanned = scanned.max(offset);
        if lines.last() != Some(&line) {
            lines.push(line);
        }
    }
    lines
}

/// A decoded file: its text, the encoding it is named for, and the byte
/// offsets in `text` of what was read in the other encoding.
struct Decoded {
    text: String,
    encoding: &'static str,
    repaired: Vec<usize>,
}

/// Decodes the file on evidence. A BOM decides; UTF-16 without one is told by
/// its zero bytes. Otherwise each run of valid UTF-8 is read as UTF-8 and each
/// byte that is not as Windows-1252 (where Latin-1 text puts accents): a file
/// with no multi-byte UTF-8 is Windows-1252, one with no invalid byte is
/// UTF-8, and a mix is named for the larger part, the lines of the other
/// part reported. Nothing is decoded twice, so "José" never turns "JosÃ©".
fn decode(bytes: &[u8]) -> Decoded {
    let mut body = bytes;
    match Encoding::for_bom(bytes) {
        Some((encoding, bom_len)) if encoding != UTF_8 => {
            let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
            return Decoded { text: text.into_owned(), encoding: encoding.name(), repaired: Vec::new() };
        }
        Some((_, bom_len)) => body = &bytes[bom_len..],
        None => {
            if let Some(encoding) = utf16_without_bom(bytes) {
                let (text, _) = encoding.decode_without_bom_handling(bytes);
                return Decoded { text: text.into_owned(), encoding: encoding.name(), repaired: Vec::new() };
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(body) {
        return Decoded { text: text.to_owned(), encoding: UTF_8.name(), repaired: Vec::new() };
    }
    let mut text = String::with_capacity(body.len() + body.len() / 8);
    let (mut utf8_at, mut latin_at) = (Vec::new(), Vec::new());
    for chunk in body.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.len_utf8() > 1 {
                utf8_at.push(text.len());
            }
            text.push(c);
        }
        for byte in chunk.invalid() {
            latin_at.push(text.len());
            let (c, _) = WINDOWS_1252.decode_without_bom_handling(std::slice::from_ref(byte));
            text.push_str(&c);
        }
    }
    if utf8_at.is_empty() {
        Decoded { text, encoding: WINDOWS_1252.name(), repaired: Vec::new() }
    } else if utf8_at.len() >= latin_at.len() {
        Decoded { text, encoding: UTF_8.name(), repaired: latin_at }
    } else {
        Decoded { text, encoding: WINDOWS_1252.name(), repaired: utf8_at }
    }
}

/// UTF-16 without a BOM: text of ASCII letters has a zero byte in every
/// other position. A few stray NULs do not make a file UTF-16.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    if bytes.len() < 4 {
        return None;
    }
    let pairs = bytes.len() / 2;
    let zero_at = |parity: usize| bytes.iter().skip(parity).step_by(2).filter(|b| **b == 0).count();
    let (even, odd) = (zero_at(0), zero_at(1));
    if odd * 10 >= pairs * 9 && even * 10 < pairs {
        Some(encoding_rs::UTF_16LE)
    } else if even * 10 >= pairs * 9 && odd * 10 < pairs {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// Excel's `sep=;` first line: the delimiter it names and the text after it.
fn excel_sep_line(text: &str) -> Option<(u8, &str)> {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    // Not `trim()`: it would eat the tab of `sep=\t`.
    let first = first.trim_end_matches('\r').trim_matches(' ');
    let named = first.strip_prefix("sep=")?;
    match named.as_bytes() {
        [delimiter @ (b';' | b',' | b'\t')] => Some((*delimiter, rest)),
        _ => None,
    }
}

/// Counts candidate delimiters outside quotes on the first non-blank line.
/// Ties and a header without any delimiter go to `;`: in Brazilian files a
/// comma is more likely a decimal separator than a delimiter.
fn detect_delimiter(text: &str) -> u8 {
    let (mut semicolons, mut commas, mut tabs) = (0usize, 0usize, 0usize);
    let mut in_quotes = false;
    let mut seen_content = false;
    for c in text.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                seen_content = true;
            }
            _ if in_quotes => {}
            '\n' | '\r' if seen_content => break,
            ';' => semicolons += 1,
            ',' => commas += 1,
            '\t' => tabs += 1,
            c if c.is_whitespace() => {}
            _ => seen_content = true,
        }
        if matches!(c, ';' | ',' | '\t') {
            seen_content = true;
        }
    }
    if semicolons >= commas && semicolons >= tabs {
        b';'
    } else if tabs >= commas {
        b'\t'
    } else {
        b','
    }
}

fn normalize_headers(fields: &[String]) -> Result<Vec<String>, TableError> {
    let headers: Vec<String> = fields.iter().map(|f| normalize_header(f)).collect();
    for (i, header) in headers.iter().enumerate() {
        if !header.is_empty() && headers[..i].contains(header) {
            return Err(TableError::DuplicateColumn(header.clone()));
        }
    }
    Ok(headers)
}

/// "Código" → "codigo", "Nome Fantasia" → "nome_fantasia", "CPF/CNPJ" →
/// "cpf_cnpj": accents stripped, lowercase, and every run of other
/// characters (spaces, hyphens, slashes, dots, parentheses) becomes one `_`.
fn normalize_header(raw: &str) -> String {
    // "N°" (degree sign) is a common mistyping of "Nº"; deunicode would spell it "deg".
    let raw = raw.trim().replace('°', "º");
    let ascii = deunicode::deunicode(&raw).to_ascii_lowercase();
    let mut out = String::with_capacity(ascii.len());
    let mut pending_separator = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_separator && !out.is_empty() {
                out.push('_');
            }
            pending_separator = false;
            out.push(c);
        } else {
            pending_separator = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn any_bytes_are_read_or_refused_never_a_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = read_table(&bytes);
        }

        #[test]
        fn csv_shaped_text_is_read_or_refused_never_a_panic(text in "[a;\"\r\n,\t çã😀\u{0}0-9]{0,300}") {
            let _ = read_table(format!("codigo;nome;cidade\n{text}").as_bytes());
        }
    }

    fn lines(table: &Table) -> Vec<usize> {
        table.rows.iter().map(|r| r.line).collect()
    }

    fn latin_bytes(text: &str) -> Vec<u8> {
        WINDOWS_1252.encode(text).0.into_owned()
    }

    #[test]
    fn utf8_bom_comma_file_is_read() {
        let bytes = b"\xef\xbb\xbfC\xc3\xb3digo,Nome,Cidade\n1,Ana,S\xc3\xa3o Jo\xc3\xa3o\n2,Bia,Bel\xc3\xa9m\n";
        let table = read_table(bytes).expect("reads");
        assert_eq!(table.encoding, "UTF-8");
        assert_eq!(table.delimiter, b',');
        assert_eq!(table.headers, ["codigo", "nome", "cidade"]);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0].get(table.column("cidade")), "São João");
        assert_eq!(table.rows[1].get(table.column("codigo")), "2");
        assert_eq!(lines(&table), [2, 3]);
    }

    #[test]
    fn utf8_file_without_bom_is_read() {
        let table = read_table("nome;cidade\nAna;Conceição\n".as_bytes()).expect("reads");
        assert_eq!(table.encoding, "UTF-8");
        assert_eq!(table.rows[0].get(Some(1)), "Conceição");
    }

    #[test]
    fn semicolon_windows_1252_file_is_read() {
        let text = "Código;Razão Social;Cidade;Valor\r\n1;Conceição Telecom;São João;1.234,56\r\n2;\"Ana; Filhos\";Jaú;99,90\r\n";
        let (bytes, _, unmappable) = WINDOWS_1252.encode(text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err(), "test bytes must not be UTF-8");
        let table = read_table(&bytes).expect("reads");
        assert_eq!(table.encoding, "windows-1252");
        assert_eq!(table.delimiter, b';');
        assert_eq!(table.headers, ["codigo", "razao_social", "cidade", "valor"]);
        let name = table.column("razao_social");
        assert_eq!(table.rows[0].get(name), "Conceição Telecom");
        assert_eq!(table.rows[0].get(table.column("cidade")), "São João");
        assert_eq!(table.rows[1].get(name), "Ana; Filhos");
        assert_eq!(table.rows[1].get(table.column("cidade")), "Jaú");
        assert_eq!(lines(&table), [2, 3]);
    }

    #[test]
    fn literal_latin1_bytes_are_decoded() {
        let bytes = b"nome;cidade\nJo\xe3o;Concei\xe7\xe3o\n";
        let table = read_table(bytes).expect("reads");
        assert_eq!(table.encoding, "windows-1252");
        assert_eq!(table.rows[0].fields, ["João", "Conceição"]);
    }

    #[test]
    fn latin1_body_after_utf8_bom_is_still_decoded() {
        let bytes = b"\xef\xbb\xbfnome\nJo\xe3o\n";
        let table = read_table(bytes).expect("reads");
        assert_eq!(table.encoding, "windows-1252");
        assert_eq!(table.headers, ["nome"]);
        assert_eq!(table.rows[0].get(Some(0)), "João");
    }

    #[test]
    fn utf16_excel_unicode_text_is_read() {
        let text = "Nome\tCidade\r\nAna\tSão João\r\n";
        let mut bytes = vec![0xff, 0xfe];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let table = read_table(&bytes).expect("reads");
        assert_eq!(table.encoding, "UTF-16LE");
        assert_eq!(table.delimiter, b'\t');
        assert_eq!(table.rows[0].fields, ["Ana", "São João"]);
    }

    #[test]
    fn quoted_field_with_delimiter_and_newline_keeps_line_numbers() {
        let text = "nome;endereco;cidade\n\
                    Ana;\"Rua A; 10\nApto 2\nFundos\";Recife\n\
                    Bia;Rua B;Olinda\n\
                    \n\
                    Caio;\"Rua \"\"C\"\"\";Recife\n";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(lines(&table), [2, 5, 7]);
        assert_eq!(table.rows[0].get(Some(1)), "Rua A; 10\nApto 2\nFundos");
        assert_eq!(table.rows[0].get(Some(2)), "Recife");
        assert_eq!(table.rows[1].get(Some(0)), "Bia");
        assert_eq!(table.rows[2].get(Some(1)), "Rua \"C\"");
    }

    #[test]
    fn quoted_newline_in_header_does_not_confuse_delimiter_detection() {
        let text = "\"Nome,\nCompleto\";Valor\nAna;10,00\n";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(table.delimiter, b';');
        assert_eq!(table.headers, ["nome_completo", "valor"]);
        assert_eq!(lines(&table), [3]);
    }

    #[test]
    fn crlf_line_endings_give_the_same_line_numbers() {
        let text = "a,b\r\n1,2\r\n\r\n3,4\r\n";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(lines(&table), [2, 4]);
        assert_eq!(table.rows[1].fields, ["3", "4"]);
    }

    #[test]
    fn crlf_quoted_newlines_and_blank_lines_give_real_line_numbers() {
        let text = "\r\nnome;obs\r\nAna;\"linha 1\r\nlinha 2\"\r\n\r\n\r\nBia;ok\r\nCaio;fim";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(lines(&table), [3, 7, 8]);
        assert_eq!(table.rows[0].get(Some(1)), "linha 1\r\nlinha 2");
        assert_eq!(table.rows[2].fields, ["Caio", "fim"]);
    }

    #[test]
    fn old_mac_cr_only_file_gives_real_line_numbers() {
        let table = read_table(b"nome;valor\rAna;1\r\rBia;2\r").expect("reads");
        assert_eq!(lines(&table), [2, 4]);
    }

    #[test]
    fn blank_rows_are_skipped() {
        let text = "\n  \nnome;valor\n\n;;\n  ;  \nAna;10\n\t\nBia;20\n;\n";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(table.headers, ["nome", "valor"]);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(lines(&table), [7, 9]);
    }

    #[test]
    fn fields_are_trimmed_and_absent_columns_read_as_empty() {
        let table = read_table(b"a;b;c\n  x ;\" y \";\n").expect("reads");
        let row = &table.rows[0];
        assert_eq!(row.get(Some(0)), "x");
        assert_eq!(row.get(Some(1)), "y");
        assert_eq!(row.get(Some(2)), "");
        assert_eq!(row.get(Some(99)), "");
        assert_eq!(row.get(None), "");
        assert_eq!(row.get(table.column("nao_existe")), "");
    }

    #[test]
    fn a_row_with_fewer_fields_than_the_header_is_refused_with_its_line() {
        let table = read_table(b"a;b;c\n1;2;3\n4;5\n6;7;8\n").expect("reads");
        assert_eq!(lines(&table), [2, 4]);
        assert_eq!(
            table.refused,
            [(3, "a linha tem 2 campos e o cabeçalho tem 3; nada desta linha foi importado".into())]
        );
    }

    #[test]
    fn an_unbalanced_quote_refuses_its_line_and_reading_goes_on_at_the_next() {
        let text = "nome;revenda;cidade\nAna;Litoral;Santos\nBia;\"Serra;Campos\nCaio;Litoral;Santos\nDavi;Vale;Jaú\n";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(lines(&table), [2, 4, 5]);
        assert_eq!(table.refused.len(), 1);
        assert_eq!(table.refused[0].0, 3);
        assert!(table.refused[0].1.starts_with("aspas sem fechamento"), "{:?}", table.refused);
        assert_eq!(table.rows[2].fields, ["Davi", "Vale", "Jaú"]);
    }

    #[test]
    fn a_quote_closed_lines_later_without_making_a_row_is_refused_too() {
        let text = "nome;obs;cidade\nAna;\"aberta;Santos\nBia;x;Campos\nCaio;fecha\";Recife\nDavi;ok;Olinda\n";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(table.refused.iter().map(|r| r.0).collect::<Vec<_>>(), [2]);
        assert_eq!(lines(&table), [3, 4, 5]);
        // Read on its own, the closing quote is text inside an unquoted field.
        assert_eq!(table.rows[1].fields, ["Caio", "fecha\"", "Recife"]);
    }

    #[test]
    fn non_empty_cells_beyond_the_header_are_warned_about() {
        let table = read_table(b"a;b\n1;2;;\n3;4;x\n").expect("reads");
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.warnings, [(3, "1 célula(s) além do cabeçalho não foram importadas: \"x\"".into())]);
    }

    #[test]
    fn a_utf8_file_with_a_latin1_line_is_utf8_with_that_line_repaired() {
        let mut bytes = "nome;cidade\nJoão;São Paulo\n".as_bytes().to_vec();
        bytes.extend_from_slice(b"Jos\xe9;Jundia\xed\n");
        bytes.extend_from_slice("Conceição;Jaú\n".as_bytes());
        let table = read_table(&bytes).expect("reads");
        assert_eq!(table.encoding, "UTF-8");
        assert_eq!(table.rows[0].fields, ["João", "São Paulo"]);
        assert_eq!(table.rows[1].fields, ["José", "Jundiaí"]);
        assert_eq!(table.rows[2].fields, ["Conceição", "Jaú"]);
        assert_eq!(table.warnings.len(), 1);
        assert_eq!(table.warnings[0].0, 3);
    }

    #[test]
    fn a_latin1_file_with_one_utf8_line_is_latin1_and_that_line_is_not_mojibake() {
        let mut bytes = latin_bytes("nome;cidade\nJoão;São Paulo\nAção;Jaú\n");
        bytes.extend_from_slice("José;Jundiaí\n".as_bytes());
        let table = read_table(&bytes).expect("reads");
        assert_eq!(table.encoding, "windows-1252");
        assert_eq!(table.rows[2].fields, ["José", "Jundiaí"]);
        assert_eq!(table.warnings.iter().map(|w| w.0).collect::<Vec<_>>(), [4]);
    }

    #[test]
    fn nul_characters_are_removed_and_reported_once() {
        let table = read_table(b"nome;cidade\nA\0na;Santos\nBia;Cam\0p\0os\n").expect("reads");
        assert_eq!(table.rows[0].fields, ["Ana", "Santos"]);
        assert_eq!(table.rows[1].fields, ["Bia", "Campos"]);
        assert_eq!(table.warnings, [(2, "3 caracteres nulos removidos, em 2 linha(s) a partir desta".into())]);
    }

    #[test]
    fn utf16_without_a_bom_is_told_by_its_zero_bytes() {
        let bytes: Vec<u8> = "nome;cidade\r\nAna;São Paulo\r\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let table = read_table(&bytes).expect("reads");
        assert_eq!(table.encoding, "UTF-16LE");
        assert_eq!(table.rows[0].fields, ["Ana", "São Paulo"]);
        assert!(table.warnings.is_empty());
    }

    #[test]
    fn longer_rows_keep_their_extra_fields() {
        let table = read_table(b"a;b\n1;2;3\n").expect("reads");
        assert_eq!(table.rows[0].fields, ["1", "2", "3"]);
    }

    #[test]
    fn header_names_are_normalized() {
        let text = "Código; Nome Fantasia ;CPF/CNPJ;Dia Vencimento;E-mail;Razão  Social;CPF / CNPJ Responsável;Nº Contrato;N° Cliente;Valor (R$);Situação\n";
        let table = read_table(text.as_bytes()).expect("reads");
        assert_eq!(
            table.headers,
            [
                "codigo",
                "nome_fantasia",
                "cpf_cnpj",
                "dia_vencimento",
                "e_mail",
                "razao_social",
                "cpf_cnpj_responsavel",
                "no_contrato",
                "no_cliente",
                "valor_r",
                "situacao",
            ]
        );
        assert!(table.rows.is_empty());
    }

    #[test]
    fn column_finds_normalized_and_raw_names() {
        let table = read_table(b"Nome Fantasia;CPF/CNPJ\n").expect("reads");
        assert_eq!(table.column("nome_fantasia"), Some(0));
        assert_eq!(table.column("Nome Fantasia"), Some(0));
        assert_eq!(table.column("cpf_cnpj"), Some(1));
        assert_eq!(table.column("email"), None);
        assert_eq!(table.column(""), None);
    }

    #[test]
    fn empty_header_cells_stay_empty_and_never_match() {
        let table = read_table(b"nome;;valor;\nAna;x;10;y\n").expect("reads");
        assert_eq!(table.headers, ["nome", "", "valor", ""]);
        assert_eq!(table.column(""), None);
        assert_eq!(table.rows[0].get(table.column("valor")), "10");
    }

    #[test]
    fn missing_headers_are_listed_in_the_order_given() {
        let table = read_table(b"nome;cpf_cnpj;cidade\n").expect("reads");
        assert_eq!(
            table.missing(&["email", "nome", "plano", "cidade", "dia_vencimento"]),
            ["email", "plano", "dia_vencimento"]
        );
        assert!(table.missing(&["nome", "cidade"]).is_empty());
    }

    #[test]
    fn duplicate_header_is_refused() {
        let err = read_table(b"Nome;Cidade;nome\n").expect_err("duplicate");
        assert!(matches!(&err, TableError::DuplicateColumn(name) if name == "nome"));
        assert_eq!(err.to_string(), "a coluna \"nome\" aparece mais de uma vez no cabeçalho");
    }

    #[test]
    fn empty_file_is_refused() {
        for bytes in [&b""[..], b"\xef\xbb\xbf", b"  \r\n\n\t"] {
            let err = read_table(bytes).expect_err("empty");
            assert!(matches!(err, TableError::Empty), "{bytes:?}");
            assert_eq!(err.to_string(), "arquivo vazio");
        }
    }

    #[test]
    fn file_of_blank_rows_has_no_header() {
        let err = read_table(b";;;\n;\n").expect_err("no header");
        assert!(matches!(err, TableError::NoHeader));
        assert_eq!(err.to_string(), "o arquivo não tem cabeçalho");
    }

    #[test]
    fn tab_delimited_file_is_read() {
        let table = read_table(b"nome\tvalor\nAna\t1,50\n").expect("reads");
        assert_eq!(table.delimiter, b'\t');
        assert_eq!(table.rows[0].fields, ["Ana", "1,50"]);
    }

    #[test]
    fn most_frequent_delimiter_outside_quotes_wins() {
        let table = read_table(b"\"a;b;c\",d,e\n1,2,3\n").expect("reads");
        assert_eq!(table.delimiter, b',');
        assert_eq!(table.headers, ["a_b_c", "d", "e"]);
    }

    #[test]
    fn single_column_header_defaults_to_semicolon() {
        let table = read_table(b"valor\n1,50\n").expect("reads");
        assert_eq!(table.delimiter, b';');
        assert_eq!(table.rows[0].fields, ["1,50"]);
    }

    #[test]
    fn excel_sep_line_sets_delimiter_and_is_skipped() {
        let table = read_table(b"sep=,\r\nnome;apelido,valor\r\nAna;A,10\r\n").expect("reads");
        assert_eq!(table.delimiter, b',');
        assert_eq!(table.headers, ["nome_apelido", "valor"]);
        assert_eq!(lines(&table), [3]);
    }

    #[test]
    fn excel_sep_line_may_name_a_tab() {
        let table = read_table(b"sep=\t\nnome\tvalor\nAna\t1;2\n").expect("reads");
        assert_eq!(table.delimiter, b'\t');
        assert_eq!(table.rows[0].fields, ["Ana", "1;2"]);
        assert_eq!(lines(&table), [3]);
    }
}
