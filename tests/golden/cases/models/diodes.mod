* Diode models shared by the golden cases.
.model dsig d (is=2.5n n=1.75 rs=0.6 cjo=4p vj=0.7 m=0.4 fc=0.5 tt=6n bv=100 ibv=100u)
.model dpwr d (is=15n n=1.9 rs=0.05 cjo=30p vj=0.6 m=0.45 fc=0.5 tt=2u bv=400 ibv=5u)
