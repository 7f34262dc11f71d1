import Libvirt
import V2VModel

extension LibvirtError: ClassifiedError {
  public var exitClass: ExitClass { .outputFailed }
}
