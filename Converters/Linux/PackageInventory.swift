import Foundation
import V2VCore
import V2VModel

/// The names of the packages installed in a guest.
enum PackageInventory {
  /// Installed package names: from /var/lib/dpkg/status on dpkg guests (`Status: install ok installed`
  /// stanzas), else by running `rpm -qa` in the guest (the rpm database is not text).
  static func installed(_ guest: LinuxGuest) throws -> Set<String> {
    if guest.traits.dpkgDatabase {
      return dpkgInstalled(try guest.session.readText("/var/lib/dpkg/status") ?? "")
    }
    let out = try guest.session.run(["rpm", "-qa", "--qf", "%{NAME}\\n"])
    return Set(out.split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
  }

  /// Names of installed packages in a dpkg status file.
  static func dpkgInstalled(_ status: String) -> Set<String> {
    var names = Set<String>()
    var package: String?
    var installed = false
    func flush() {
      if let p = package, installed { names.insert(p) }
      package = nil
      installed = false
    }
    for line in status.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.trimmingCharacters(in: .whitespaces).isEmpty {
        flush()
      } else if line.hasPrefix("Package:") {
        package = line.dropFirst("Package:".count).trimmingCharacters(in: .whitespaces)
      } else if line.hasPrefix("Status:") {
        installed = line.dropFirst("Status:".count).trimmingCharacters(in: .whitespaces) == "install ok installed"
      }
    }
    flush()
    return names
  }
}
