package images

// The blob drivers OpenStore can open by URL: a directory (file://), memory (mem://, tests) and
// S3 or any S3-compatible store (s3://bucket?region=…&endpoint=…&use_path_style=true), and Google
// Cloud Storage (gs://bucket, with the usual Google application credentials).
import (
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"
)
