import V2VModel
/// Where the UEFI firmware (OVMF) and its variable-store templates are: one place for the test boot and the
/// `-o qemu` script.
public struct OVMFPaths: Sendable, Equatable {
  /// OVMF code without Secure Boot.
  public var code: String
  /// Its variable-store template.
  public var varsTemplate: String
  /// OVMF code with Secure Boot (needs SMM).
  public var secureCode: String
  /// Its template, with Microsoft's keys enrolled.
  public var secureVarsTemplate: String

  /// Creates paths.
  public init(code: String, varsTemplate: String, secureCode: String, secureVarsTemplate: String) {
    self.code = code
    self.varsTemplate = varsTemplate
    self.secureCode = secureCode
    self.secureVarsTemplate = secureVarsTemplate
  }

  /// Debian's `ovmf` package (4 MiB builds).
  public static let debian = OVMFPaths(
    code: "/usr/share/OVMF/OVMF_CODE_4M.fd", varsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.fd",
    secureCode: "/usr/share/OVMF/OVMF_CODE_4M.ms.fd", secureVarsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.ms.fd")
}
