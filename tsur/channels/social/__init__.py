"""What the REST-style social network channels (VK, OK) share: a thin HTTP client base
(`social.client`) and a listening-and-replying plugin base (`social.plugin`). Each network's own
package keeps only what differs: addresses, authentication or signature, payload field names,
error codes. This package registers no channel kind of its own."""
