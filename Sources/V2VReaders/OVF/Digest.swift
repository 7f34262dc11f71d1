/// Streaming SHA-1 and SHA-256 (FIPS 180-4) for verifying OVF manifests without a crypto dependency.
/// Integrity checking only: the manifest is not a signature.
struct Digest {
  /// The algorithms manifests use.
  enum Algorithm { case sha1, sha256 }

  private let algorithm: Algorithm
  private var h: [UInt32]
  private var buffer: [UInt8] = []
  private var length: UInt64 = 0

  /// Starts a digest.
  init(_ algorithm: Algorithm) {
    self.algorithm = algorithm
    h = algorithm == .sha1
      ? [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0]
      : [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19]
  }

  /// Adds bytes.
  mutating func update(_ bytes: [UInt8]) {
    length &+= UInt64(bytes.count)
    buffer.append(contentsOf: bytes)
    var start = 0
    while buffer.count - start >= 64 {
      compress(buffer[start..<start + 64])
      start += 64
    }
    buffer.removeFirst(start)
  }

  /// The digest as lower-case hex.
  mutating func hex() -> String {
    var pad: [UInt8] = [0x80]
    while (buffer.count + pad.count) % 64 != 56 { pad.append(0) }
    let bits = length &* 8
    for i in (0..<8).reversed() { pad.append(UInt8(truncatingIfNeeded: bits >> (UInt64(i) * 8))) }
    let saved = length
    update(pad)
    length = saved
    return h.map { word in
      let s = String(word, radix: 16)
      return String(repeating: "0", count: 8 - s.count) + s
    }.joined()
  }

  private static let k256: [UInt32] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]

  private mutating func compress(_ block: ArraySlice<UInt8>) {
    var w = [UInt32](repeating: 0, count: algorithm == .sha1 ? 80 : 64)
    let base = block.startIndex
    for i in 0..<16 {
      w[i] = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(block[base + i * 4 + $1]) }
    }
    func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { x << n | x >> (32 - n) }
    func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { x >> n | x << (32 - n) }
    if algorithm == .sha1 {
      for i in 16..<80 { w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
      var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
      for i in 0..<80 {
        let (f, k): (UInt32, UInt32) =
          i < 20 ? ((b & c) | (~b & d), 0x5a82_7999)
          : i < 40 ? (b ^ c ^ d, 0x6ed9_eba1)
          : i < 60 ? ((b & c) | (b & d) | (c & d), 0x8f1b_bcdc) : (b ^ c ^ d, 0xca62_c1d6)
        let t = rotl(a, 5) &+ f &+ e &+ k &+ w[i]
        (e, d, c, b, a) = (d, c, rotl(b, 30), a, t)
      }
      for (i, v) in [a, b, c, d, e].enumerated() { h[i] &+= v }
    } else {
      for i in 16..<64 {
        let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
        let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
        w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
      }
      var v = h
      for i in 0..<64 {
        let s1 = rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25)
        let ch = (v[4] & v[5]) ^ (~v[4] & v[6])
        let t1 = v[7] &+ s1 &+ ch &+ Self.k256[i] &+ w[i]
        let s0 = rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22)
        let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2])
        let t2 = s0 &+ maj
        v = [t1 &+ t2, v[0], v[1], v[2], v[3] &+ t1, v[4], v[5], v[6]]
      }
      for i in 0..<8 { h[i] &+= v[i] }
    }
  }
}
