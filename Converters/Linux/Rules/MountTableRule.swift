import V2VCore
import V2VModel

/// Checks fstab, crypttab and swap entries against the disks being converted (placeholder: filled in by the
/// mount-table work).
struct MountTableRule: LinuxRule {
  func apply(to plan: LinuxPlan, guest: LinuxGuest) throws {}
}
