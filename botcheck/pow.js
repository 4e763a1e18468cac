// latch botcheck proof-of-work solver. Source: github.com/latchauth/latch/botcheck
// Finds n with SHA-256(challenge+":"+n) starting with d zero bits (d is the
// challenge's third "."-field) in plain JavaScript: the challenge's full
// blocks are hashed once, each attempt compresses only the last block(s).
(()=>{"use strict";
const K=new Int32Array(64),H=new Int32Array(8),W=new Int32Array(64),
fr=x=>(x-Math.floor(x))*4294967296|0,
C=(h,m,o,out)=>{let a=h[0],b=h[1],c=h[2],d=h[3],e=h[4],f=h[5],g=h[6],k=h[7],i,t,u;
for(i=0;i<64;i++){if(i<16)W[i]=m[o+4*i]<<24|m[o+4*i+1]<<16|m[o+4*i+2]<<8|m[o+4*i+3];else{t=W[i-15];u=W[i-2];W[i]=((t>>>7|t<<25)^(t>>>18|t<<14)^t>>>3)+((u>>>17|u<<15)^(u>>>19|u<<13)^u>>>10)+W[i-7]+W[i-16]|0}
t=k+((e>>>6|e<<26)^(e>>>11|e<<21)^(e>>>25|e<<7))+(e&f^~e&g)+K[i]+W[i]|0;u=((a>>>2|a<<30)^(a>>>13|a<<19)^(a>>>22|a<<10))+(a&b^a&c^b&c)|0;
k=g;g=f;f=e;e=d+t|0;d=c;c=b;b=a;a=t+u|0}
out[0]=h[0]+a;out[1]=h[1]+b;out[2]=h[2]+c;out[3]=h[3]+d;out[4]=h[4]+e;out[5]=h[5]+f;out[6]=h[6]+g;out[7]=h[7]+k};
for(let n=2,p=0;p<64;n++){let q=1;for(let j=2;j*j<=n;j++)if(n%j==0){q=0;break}if(q){if(p<8)H[p]=fr(Math.sqrt(n));K[p++]=fr(Math.cbrt(n))}}
const solve=async el=>{
const c=el.dataset.latchPow||"",d=+c.split(".")[2],f=el.form,
s=v=>f&&(f.dataset.latchPowState=v),
bs=f?[...f.querySelectorAll("[type=submit],button:not([type])")]:[],
done=()=>bs.forEach(b=>{b.disabled=!1;b.removeAttribute&&b.removeAttribute("aria-busy");if(b.dataset&&b.dataset.latchPowLabel)b.textContent=b.dataset.latchPowLabel});
if(!(d>0&&d<=32))return;
s("solving");
try{const p=new TextEncoder().encode(c+":"),L=p.length,o=L-L%64,r=L-o,h=new Int32Array(H),g=new Int32Array(8),m=new Uint8Array(128);
for(let i=0;i<o;i+=64)C(h,p,i,h);
m.set(p.subarray(o));
let n=0,w=0,B=64,T;
for(;;){await new Promise(z=>setTimeout(z));T=Date.now()+25;
do{for(const e=n+4096;n<e;n++){const x=""+n,l=x.length;
if(l!=w){w=l;B=r+l+9>64?128:64;m.fill(0,r+l,B);m[r+l]=128;const v=(L+l)*8;m[B-4]=v>>>24;m[B-3]=v>>>16;m[B-2]=v>>>8;m[B-1]=v}
for(let i=0;i<l;i++)m[r+i]=x.charCodeAt(i);
C(h,m,0,g);if(B>64)C(g,m,64,g);
if(g[0]>>>32-d==0){el.value=c+"."+n;s("solved");done();el.dispatchEvent(new Event("latch-pow-solved",{bubbles:!0}));return}}}while(Date.now()<T)}}
catch(e){s("error");done()}},
go=()=>document.querySelectorAll("input[data-latch-pow]").forEach(solve);
document.readyState=="loading"?document.addEventListener("DOMContentLoaded",go):go()})();
