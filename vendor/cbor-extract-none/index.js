// cbor-x catches this and decodes in pure JavaScript.
throw new Error('cbor-extract is not installed in this project')
