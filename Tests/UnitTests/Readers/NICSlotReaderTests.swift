import Foundation
import LibXML
import Testing
import V2VModel
import V2VTestSupport
@testable import V2VReaders

/// The NIC's PCI slot, from which VMware guests name their interfaces (`ens192`): VMX and OVF.
@Suite("Readers: NIC PCI slots", .offPool)
struct NICSlotReaderTests {
  @Test("VMX: ethernetN.pciSlotNumber per NIC, in ethernetN order; -1, absent or garbage is no slot")
  func vmx() throws {
    let text = """
      displayName = "net"
      ethernet0.present = "TRUE"
      ethernet0.virtualDev = "vmxnet3"
      ethernet0.generatedAddress = "00:0c:29:aa:bb:cc"
      ethernet0.pciSlotNumber = "192"
      ethernet1.present = "TRUE"
      ethernet1.generatedAddress = "00:0c:29:aa:bb:cd"
      ethernet1.pciSlotNumber = "224"
      ethernet2.present = "TRUE"
      ethernet2.pciSlotNumber = "-1"
      ethernet3.present = "TRUE"
      ethernet4.present = "TRUE"
      ethernet4.pciSlotNumber = "x"
      ethernet5.present = "FALSE"
      ethernet5.pciSlotNumber = "256"

      """
    let vm = try VMXMapper(vmx: VMXFile(parsing: text, file: "net.vmx")).map().vm
    #expect(vm.nics.map(\.pciSlot) == [192, 224, nil, nil, nil])
    #expect(vm.nics[0].mac == "00:0c:29:aa:bb:cc")
  }

  @Test("OVF: the NIC item's own vmw:Config slotInfo.pciSlotNumber, not the hardware section's")
  func ovf() throws {
    let text = """
      <?xml version="1.0" encoding="UTF-8"?>
      <Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" \
      xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vmw="http://www.vmware.com/schema/ovf">
        <VirtualSystem ovf:id="net">
          <Name>net</Name>
          <VirtualHardwareSection>
            <Item><rasd:Address>00:50:56:AB:00:01</rasd:Address><rasd:InstanceID>10</rasd:InstanceID><rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType><rasd:ResourceType>10</rasd:ResourceType>
              <vmw:Config ovf:required="false" vmw:key="slotInfo.pciSlotNumber" vmw:value="160"/>
              <vmw:Config ovf:required="false" vmw:key="wakeOnLanEnabled" vmw:value="false"/></Item>
            <Item><rasd:Address>00:50:56:AB:00:02</rasd:Address><rasd:InstanceID>11</rasd:InstanceID><rasd:ResourceType>10</rasd:ResourceType></Item>
            <vmw:Config ovf:required="false" vmw:key="slotInfo.pciSlotNumber" vmw:value="999"/>
          </VirtualHardwareSection>
        </VirtualSystem>
      </Envelope>
      """
    let envelope = try OVFEnvelope(XMLDocument(string: text), file: "net.ovf")
    let vm = try OVFMapper(envelope: envelope, file: "net.ovf").map().vm
    #expect(vm.nics.map(\.pciSlot) == [160, nil])
    #expect(vm.nics.map(\.mac) == ["00:50:56:ab:00:01", "00:50:56:ab:00:02"])
  }
}
