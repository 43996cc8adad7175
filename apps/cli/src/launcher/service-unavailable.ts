/** A service the command needs cannot be had; the message is the one line the user reads. */
export class ServiceUnavailable extends Error {}
