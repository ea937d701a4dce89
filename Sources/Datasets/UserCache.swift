import Foundation

/// The per-user cache folder (XDG Base Directory specification): where `bmrs data fetch`
/// installs data sets when no `--data-dir` or `BMRS_DATA_DIR` is given, and where the
/// decoded-data cache lives. Both are caches in the XDG sense: everything in them can be
/// downloaded or recomputed, so deleting the folder loses nothing but time.
///
/// The folder is `$BMRS_CACHE_DIR` if set, else `$XDG_CACHE_HOME/bmrs` (only an absolute
/// path counts, as the specification says), else `$HOME/.cache/bmrs`. Inside it:
/// `datasets/<name>/` (fetched data sets) and `decoded/` (`DecodedCache`).
public enum UserCache {
    /// Overrides the whole folder (e.g. a shared scratch disk on a cluster).
    public static let environmentVariable = "BMRS_CACHE_DIR"

    /// The cache folder for `environment`, or nil when neither variable nor `HOME` is set.
    public static func root(environment: [String: String]) -> URL? {
        if let explicit = environment[environmentVariable], !explicit.isEmpty {
            return URL(fileURLWithPath: NSString(string: explicit).expandingTildeInPath, isDirectory: true)
        }
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("bmrs", isDirectory: true)
        }
        if let home = environment["HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home, isDirectory: true)
                .appendingPathComponent(".cache", isDirectory: true).appendingPathComponent("bmrs", isDirectory: true)
        }
        return nil
    }

    /// Where fetched data sets go by default: `<root>/datasets`.
    public static func dataRoot(environment: [String: String]) -> URL? {
        root(environment: environment)?.appendingPathComponent("datasets", isDirectory: true)
    }

    /// Where the decoded-data cache goes by default: `<root>/decoded`.
    public static func decodedRoot(environment: [String: String]) -> URL? {
        root(environment: environment)?.appendingPathComponent("decoded", isDirectory: true)
    }
}
