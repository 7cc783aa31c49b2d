package connection

// Pipe forwards every byte received on c to dst, unchanged (the protocols'
// codecs are bypassed), with backpressure: when dst's send buffer is full, c
// stops receiving until it drains. When either side closes, the other is
// closed after its queued data is written. Call it from c's callbacks, for
// example OnConnect, before c's first message.
func (c *Conn) Pipe(dst *Conn) {
	c.extra().pipeTo = dst
	x := dst.extra()
	dst.mu.Lock()
	x.pipeFrom = c
	dst.mu.Unlock()
}

// pipeSource is the connection piping into c, if any.
func (c *Conn) pipeSource() *Conn {
	x := c.x.Load()
	if x == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return x.pipeFrom
}

// pipeTarget is where Pipe sends c's bytes, if anywhere.
func (c *Conn) pipeTarget() *Conn {
	if x := c.x.Load(); x != nil {
		return x.pipeTo
	}
	return nil
}
