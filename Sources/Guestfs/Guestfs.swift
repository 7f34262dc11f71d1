// Guestfs
