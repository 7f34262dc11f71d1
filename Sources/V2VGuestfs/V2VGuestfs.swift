// V2VGuestfs
