import CBLAS
import Foundation

/// Thin, shape-checked wrappers over OpenBLAS. All matrices are row-major.
public enum BLAS {
    /// Sets OpenBLAS's thread count for this process. The program sets it explicitly
    /// (default 1) because results differ in the last bits between thread counts.
    /// Waits while another thread is inside `withThreads`.
    public static func setThreads(_ n: Int) {
        precondition(n >= 1, "BLAS threads must be ≥ 1, got \(n)")
        threadCountLock.lock()
        defer { threadCountLock.unlock() }
        openblas_set_num_threads(Int32(n))
    }

    /// Runs `body` with OpenBLAS on `n` threads, a count no other thread can change meanwhile
    /// (`setThreads` and other `withThreads` wait), then restores the previous count.
    ///
    /// The count is process-wide, and Swift Testing runs the suites of every test target in
    /// parallel in one process: a comparison of two computations bit for bit that only set
    /// the count could have it changed between them by a trainer starting in another test.
    public static func withThreads<T>(_ n: Int, _ body: () throws -> T) rethrows -> T {
        precondition(n >= 1, "BLAS threads must be ≥ 1, got \(n)")
        threadCountLock.lock()
        defer { threadCountLock.unlock() }
        let previous = openblas_get_num_threads()
        openblas_set_num_threads(Int32(n))
        defer { openblas_set_num_threads(previous) }
        return try body()
    }

    /// Recursive: a `withThreads` body may itself set the count (a trainer inside a test).
    private static let threadCountLock = NSRecursiveLock()

    public static var threads: Int { Int(openblas_get_num_threads()) }

    /// The kernel OpenBLAS picked for this CPU (e.g. "Cooperlake").
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// C[m×n] = alpha·op(A)·op(B) + beta·C, with op(A) m×k and op(B) k×n.
    @inline(__always)
    public static func gemm(
        transA: Bool = false, transB: Bool = false,
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }
}
