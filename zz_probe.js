try { new Worker(new URL("file:///tmp/i3/w_p.js"), { type: "module", deno: { permissions: "none" } }); } catch (e) { console.log("caught", e); }
console.log("after");
