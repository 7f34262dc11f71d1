import CCrypto

/// An incremental SHA-256 (OpenSSL's EVP interface): `update` with bytes in order, then `finalize` once.
///
/// ```swift
/// let digest = SHA256Digest()
/// buffer.withUnsafeBytes { digest.update($0) }
/// let hex = digest.finalize()  // "ba7816bf…" for "abc"
/// ```
public final class SHA256Digest {
  private let context: OpaquePointer
  private var finished = false

  /// Starts an empty digest.
  public init() {
    // Both fail only when memory runs out; there is nothing sensible to do then.
    guard let context = EVP_MD_CTX_new() else { fatalError("SHA256Digest: EVP_MD_CTX_new failed") }
    guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else { fatalError("SHA256Digest: EVP_DigestInit_ex failed") }
    self.context = context
  }

  deinit { EVP_MD_CTX_free(context) }

  /// Adds `bytes` to the digest.
  public func update(_ bytes: UnsafeRawBufferPointer) {
    precondition(!finished, "SHA256Digest: update after finalize")
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    guard EVP_DigestUpdate(context, base, bytes.count) == 1 else { fatalError("SHA256Digest: EVP_DigestUpdate failed") }
  }

  /// The digest of everything added, as 64 lowercase hex digits. Call it once.
  public func finalize() -> String {
    precondition(!finished, "SHA256Digest: finalize called twice")
    finished = true
    var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var count: UInt32 = 0
    guard EVP_DigestFinal_ex(context, &out, &count) == 1 else { fatalError("SHA256Digest: EVP_DigestFinal_ex failed") }
    let hex: [Character] = Array("0123456789abcdef")
    return String(out.prefix(Int(count)).flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0xF)]] })
  }

  /// The SHA-256 of `bytes` in one call.
  public static func hex(of bytes: UnsafeRawBufferPointer) -> String {
    let digest = SHA256Digest()
    digest.update(bytes)
    return digest.finalize()
  }
}
