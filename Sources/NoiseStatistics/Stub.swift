// TEMPORARY stand-in until the real module lands (replaced wholesale).
import Foundation
public enum NoiseTruncation { public static let a = -20.0, b = 0.0, logSigmaMin = -20.0, logSigmaMax = 5.0 }
public func normalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
public func normalPDF(_ x: Double) -> Double { exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }
public struct NoisePosterior: Sendable, Hashable {
    public var mu: Double, logSigma: Double
    public init(mu: Double, logSigma: Double) { self.mu = mu; self.logSigma = logSigma }
    public var sigma: Double { exp(min(max(logSigma, -20), 5)) }
    public var expectedTheta: Double {
        let s = sigma, al = (-20 - mu) / s, be = (0 - mu) / s
        let z = normalCDF(be) - normalCDF(al)
        return exp(mu + s * s / 2) * (normalCDF(s - al) - normalCDF(s - be)) / z
    }
    public var kl: Double {
        let s = sigma, al = (-20 - mu) / s, be = (0 - mu) / s
        let z = normalCDF(be) - normalCDF(al)
        let pa = normalPDF(al), pb = normalPDF(be)
        return -log(s) - log(z) - 0.5 * log(2 * Double.pi * M_E) + log(20.0) - ((pa == 0 ? 0 : al * pa) - (pb == 0 ? 0 : be * pb)) / (2 * z)
    }
    public var klGradient: (mu: Double, logSigma: Double) {
        let h = 1e-6
        let dm = (NoisePosterior(mu: mu + h, logSigma: logSigma).kl - NoisePosterior(mu: mu - h, logSigma: logSigma).kl) / (2 * h)
        let ds = (NoisePosterior(mu: mu, logSigma: logSigma + h).kl - NoisePosterior(mu: mu, logSigma: logSigma - h).kl) / (2 * h)
        return (dm, ds)
    }
}
