/// CSV as RFC 4180 writes it: the one quoting rule of every CSV the project writes (the
/// grid's `runs.csv` and `curves.csv`, a report's `table.csv`).
public enum CSV {
    /// One field, quoted when it holds a comma, a quote, CR or LF (inner quotes doubled).
    public static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One line: the fields quoted and joined by commas (no line break).
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",")
    }
}
