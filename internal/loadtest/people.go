package loadtest

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"kycdesk/internal/normalize"
)

// names are the given names and surnames of one language, with their accents.
type names struct {
	given, surnames []string
	// double is the share of people with two surnames (Spanish and Portuguese custom).
	double float64
}

var (
	german = names{given: []string{"Jürgen", "Björn", "Lukas", "Maximilian", "Felix", "Jonas", "Stefan", "Thomas", "Anna", "Lena",
		"Sophie", "Jörg", "Käthe", "Marie", "Hannah", "Ursula", "Günter", "Sören"},
		surnames: []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann",
			"Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Krüger",
			"Hartmann", "Lange", "Weiß", "Groß", "Köhler"}}
	french = names{given: []string{"François", "Hélène", "Jérôme", "Amélie", "Céline", "Léa", "Chloé", "Mathieu", "Nicolas",
		"Camille", "Étienne", "Zoé", "Noël", "Gaëlle", "Anaïs", "Jean-Pierre"},
		surnames: []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
			"Lefèvre", "Fournier", "Girard", "Bonnet", "Mercier", "Gauthier", "Lemaître", "Chevalier", "Benoît"}}
	spanish = names{given: []string{"José", "María", "Jesús", "Ángel", "Lucía", "Sofía", "Andrés", "Raúl", "Inés", "Álvaro",
		"Begoña", "Iñaki", "Carmen", "Pilar", "María José", "Sebastián"},
		surnames: []string{"García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
			"Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Núñez", "Peña", "Ibáñez", "Castaño"}, double: 0.8}
	portuguese = names{given: []string{"João", "José", "António", "Francisco", "Maria", "Ana", "Inês", "Conceição", "Gonçalo",
		"Luís", "Lúcia", "Thiago", "Júlia", "Sebastião", "Letícia"},
		surnames: []string{"Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Jesus", "Sousa",
			"Fernandes", "Gonçalves", "Gomes", "Lopes", "Marques", "Araújo", "Ribeiro", "Conceição", "Magalhães"}, double: 0.5}
	italian = names{given: []string{"Giuseppe", "Giovanni", "Antonio", "Mario", "Luca", "Francesca", "Chiara", "Giulia",
		"Niccolò", "Alessandro", "Martina", "Sara", "Federica", "Nicolò"},
		surnames: []string{"Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco",
			"Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Giordano", "Rizzo", "Lombardi", "Moretti", "Fabbrì"}}
	polish = names{given: []string{"Łukasz", "Paweł", "Michał", "Krzysztof", "Agnieszka", "Małgorzata", "Katarzyna", "Zofia",
		"Wojciech", "Piotr", "Anna", "Joanna", "Grzegorz"},
		surnames: []string{"Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski", "Zieliński",
			"Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur", "Kwiatkowski", "Krawczyk"}}
	romanian = names{given: []string{"Andrei", "Ștefan", "Mihai", "Ioana", "Elena", "Maria", "Alexandru", "Cristina", "Răzvan",
		"Mădălina", "Bogdan", "Ana"},
		surnames: []string{"Popescu", "Ionescu", "Popa", "Pop", "Radu", "Dumitru", "Stan", "Stoica", "Gheorghe", "Matei", "Ciobanu",
			"Rusu", "Munteanu", "Constantin", "Marin", "Tudor", "Țurcanu", "Șerban"}}
	turkish = names{given: []string{"Mehmet", "Mustafa", "Ahmet", "Ayşe", "Fatma", "Emine", "Hüseyin", "Zeynep", "Elif", "Murat",
		"Özlem", "Gökhan", "İbrahim"},
		surnames: []string{"Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Yıldırım", "Öztürk", "Aydın", "Özdemir",
			"Arslan", "Doğan", "Kılıç", "Aslan", "Çetin", "Kara"}}
	english = names{given: []string{"Oliver", "George", "Harry", "Jack", "Olivia", "Amelia", "Isla", "Emily", "James", "Sarah",
		"Siobhán", "Seán", "Chloë", "Michael", "Zoë"},
		surnames: []string{"Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
			"Roberts", "Walker", "Wright", "Robinson", "Thompson", "O'Brien", "Murphy", "Kelly", "Ó Súilleabháin"}}
	dutch = names{given: []string{"Daan", "Sem", "Lucas", "Emma", "Julia", "Mila", "Tess", "Sophie", "Bram", "Thijs", "Anouk",
		"Maëlle"},
		surnames: []string{"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit",
			"Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters"}}
	swedish = names{given: []string{"Björn", "Åsa", "Märta", "Lars", "Erik", "Karin", "Ingrid", "Sven", "Anders", "Linnéa",
		"Elsa", "Axel"},
		surnames: []string{"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson",
			"Svensson", "Gustafsson", "Pettersson", "Jönsson", "Lindström", "Åberg", "Söderberg"}}
	greek = names{given: []string{"Georgios", "Konstantinos", "Dimitrios", "Ioannis", "Maria", "Eleni", "Aikaterini",
		"Vasiliki", "Nikolaos", "Sofia", "Panagiotis", "Christina"},
		surnames: []string{"Papadopoulos", "Vlachos", "Angelopoulos", "Nikolaidis", "Georgiou", "Petridis", "Athanasiou",
			"Dimitriou", "Papadakis", "Oikonomou", "Makris", "Karagiannis"}}
	ukrainian = names{given: []string{"Oleksandr", "Andrii", "Dmytro", "Serhii", "Olena", "Iryna", "Nataliia", "Tetiana",
		"Yuliia", "Mykola", "Viktoriia", "Bohdan"},
		surnames: []string{"Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk", "Oliinyk", "Shevchuk",
			"Polishchuk", "Boiko", "Koval", "Marchenko"}}
	indian = names{given: []string{"Aarav", "Vivaan", "Aditya", "Priya", "Ananya", "Diya", "Rohan", "Arjun", "Kavya", "Neha",
		"Rahul", "Sneha"},
		surnames: []string{"Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Das", "Mehta", "Joshi", "Rao"}}
	chinese = names{given: []string{"Wei", "Fang", "Min", "Jing", "Li Na", "Xiaoming", "Yan", "Jun", "Hui", "Lei", "Yu", "Ying"},
		surnames: []string{"Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun"}}
	arabic = names{given: []string{"Mohamed", "Youssef", "Fatima", "Khadija", "Ahmed", "Omar", "Amina", "Karim", "Salma",
		"Hamza", "Nour", "Yasmine"},
		surnames: []string{"El Amrani", "Benali", "Alaoui", "El Idrissi", "Bennani", "Haddad", "Mansour", "Hassan", "Ibrahim",
			"Saleh", "Farouk", "Tazi"}}
	nigerian = names{given: []string{"Chinedu", "Oluwaseun", "Ngozi", "Adaeze", "Emeka", "Funmilayo", "Tunde", "Chioma",
		"Ifeoma", "Babajide", "Kelechi", "Yetunde"},
		surnames: []string{"Okafor", "Adeyemi", "Okonkwo", "Eze", "Balogun", "Ogunleye", "Nwosu", "Abubakar", "Bello",
			"Olawale", "Chukwu", "Ibekwe"}}
	filipino = names{given: []string{"Maria", "Jose", "Mark", "Angel", "Jerome", "Kristine", "Rowena", "Jericho", "Ma. Cristina",
		"John Paul"},
		surnames: []string{"Santos", "Reyes", "Cruz", "Bautista", "Ocampo", "Garcia", "Mendoza", "Torres", "Tomas", "Andrada",
			"Castillo", "Flores", "Dela Cruz"}}
	vietnamese = names{given: []string{"Anh", "Minh", "Thảo", "Linh", "Hùng", "Dũng", "Hương", "Tuấn", "Phương", "Quang",
		"Trang", "Hải"},
		surnames: []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"}}
)

// country is a nationality with its share of the desk's customers, the names its people carry,
// and how its passport numbers look.
type country struct {
	code     string // ISO 3166-1 alpha-3
	weight   int
	names    *names
	passport func(r *rand.Rand) string
	eu       bool // lives mostly at home; others mostly live in one of the EU desks' countries
}

const (
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits = "0123456789"
	// germanPassport is the alphabet of German passport serial numbers (no vowels, no B, D, Q, S).
	germanPassport = "CFGHJKLMNPRTVWXYZ0123456789"
)

func chars(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

func pattern(parts ...any) func(r *rand.Rand) string {
	return func(r *rand.Rand) string {
		var b strings.Builder
		for i := 0; i+1 < len(parts); i += 2 {
			b.WriteString(chars(r, parts[i].(string), parts[i+1].(int)))
		}
		return b.String()
	}
}

// countries is the nationality mix of an EU onboarding desk; weights sum to 100.
var countries = []country{
	{"DEU", 15, &german, pattern(germanPassport, 9), true},
	{"FRA", 10, &french, pattern(digits, 2, upper, 2, digits, 5), true},
	{"GBR", 8, &english, pattern(digits, 9), true},
	{"ITA", 7, &italian, pattern(upper, 2, digits, 7), true},
	{"ESP", 7, &spanish, pattern(upper, 3, digits, 6), true},
	{"POL", 5, &polish, pattern(upper, 2, digits, 7), true},
	{"NLD", 4, &dutch, pattern(upper, 2, upper+digits, 6, digits, 1), true},
	{"ROU", 4, &romanian, pattern(digits, 8), true},
	{"TUR", 4, &turkish, pattern(upper, 1, digits, 8), false},
	{"PRT", 3, &portuguese, pattern(upper, 1, digits, 6), true},
	{"UKR", 3, &ukrainian, pattern(upper, 2, digits, 6), false},
	{"USA", 3, &english, pattern(digits, 9), false},
	{"BRA", 3, &portuguese, pattern(upper, 2, digits, 6), false},
	{"IND", 3, &indian, pattern(upper, 1, digits, 7), false},
	{"CHN", 2, &chinese, pattern(upper, 1, digits, 8), false},
	{"AUT", 2, &german, pattern(upper, 1, digits, 7), true},
	{"CHE", 2, &german, pattern(upper, 1, digits, 7), true},
	{"BEL", 2, &french, pattern(upper, 2, digits, 6), true},
	{"SWE", 2, &swedish, pattern(digits, 8), true},
	{"GRC", 2, &greek, pattern(upper, 2, digits, 7), true},
	{"MAR", 2, &arabic, pattern(upper, 2, digits, 7), false},
	{"NGA", 1, &nigerian, pattern(upper, 1, digits, 8), false},
	{"PHL", 1, &filipino, pattern(upper, 1, digits, 7, upper, 1), false},
	{"MEX", 2, &spanish, pattern(upper, 1, digits, 8), false},
	{"IRL", 1, &english, pattern(upper, 2, digits, 7), true},
	{"VNM", 1, &vietnamese, pattern(upper, 1, digits, 7), false},
	{"EGY", 1, &arabic, pattern(upper, 1, digits, 8), false},
}

// homes are where customers from outside the EU live, with their weights.
var homes = []struct {
	code   string
	weight int
}{{"DEU", 30}, {"FRA", 18}, {"ESP", 12}, {"ITA", 10}, {"NLD", 10}, {"IRL", 8}, {"POL", 6}, {"PRT", 6}}

// places are a few addresses per country of residence; others get a generic one.
var places = map[string][]string{
	"DEU": {"Hauptstraße %d, 10115 Berlin", "Königsallee %d, 40212 Düsseldorf", "Maximilianstraße %d, 80539 München"},
	"FRA": {"%d rue de la République, 69002 Lyon", "%d avenue des Champs-Élysées, 75008 Paris"},
	"ESP": {"Calle Mayor %d, 28013 Madrid", "Carrer de València %d, 08015 Barcelona"},
	"ITA": {"Via Roma %d, 00184 Roma", "Corso Buenos Aires %d, 20124 Milano"},
	"NLD": {"Keizersgracht %d, 1015 Amsterdam", "Coolsingel %d, 3012 Rotterdam"},
	"IRL": {"%d O'Connell Street, Dublin 1"},
	"POL": {"ul. Marszałkowska %d, 00-624 Warszawa"},
	"PRT": {"Rua Augusta %d, 1100-053 Lisboa"},
	"GBR": {"%d High Street, London SW1A 1AA"},
	"ROU": {"Strada Lipscani %d, 030031 București"},
	"SWE": {"Drottninggatan %d, 111 51 Stockholm"},
	"GRC": {"Odos Ermou %d, 105 63 Athina"},
	"AUT": {"Mariahilfer Straße %d, 1070 Wien"},
	"CHE": {"Bahnhofstrasse %d, 8001 Zürich"},
	"BEL": {"Rue Neuve %d, 1000 Bruxelles"},
}

var dialling = map[string]string{"DEU": "+49 151", "FRA": "+33 6", "ESP": "+34 6", "ITA": "+39 3", "NLD": "+31 6",
	"IRL": "+353 8", "POL": "+48 5", "PRT": "+351 9", "GBR": "+44 7", "ROU": "+40 7", "SWE": "+46 7", "GRC": "+30 69",
	"AUT": "+43 664", "CHE": "+41 7", "BEL": "+32 4"}

// weighted picks an index with probability proportional to its weight.
type weighted struct {
	cum   []int
	total int
}

func newWeighted(weights ...int) weighted {
	w := weighted{cum: make([]int, len(weights))}
	for i, x := range weights {
		w.total += x
		w.cum[i] = w.total
	}
	return w
}

func (w weighted) pick(r *rand.Rand) int {
	n := r.IntN(w.total)
	for i, c := range w.cum {
		if n < c {
			return i
		}
	}
	return len(w.cum) - 1
}

var (
	countryPick = func() weighted {
		ws := make([]int, len(countries))
		for i, c := range countries {
			ws[i] = c.weight
		}
		return newWeighted(ws...)
	}()
	homePick = func() weighted {
		ws := make([]int, len(homes))
		for i, h := range homes {
			ws[i] = h.weight
		}
		return newWeighted(ws...)
	}()
)

// person is an invented customer with one passport.
type person struct {
	given, surname     string
	nationality, home  string
	born               time.Time
	email, phone, addr string
	passport           string
	issued, expires    time.Time
}

// asciiNames remembers asciiName's answers: the names come from short lists, and folding is slow.
var asciiNames sync.Map

// asciiName is a name as it goes into an e-mail address ("Müller" → "muller", "de Jong" → "dejong").
func asciiName(s string) string {
	if a, ok := asciiNames.Load(s); ok {
		return a.(string)
	}
	a := strings.ReplaceAll(normalize.SearchKey(s), " ", "")
	asciiNames.Store(s, a)
	return a
}

// newPerson invents a person of a country drawn from the mix, as of the day they were onboarded.
// surname, when not empty, replaces the drawn one.
func newPerson(r *rand.Rand, at time.Time, surname string) person {
	c := countries[countryPick.pick(r)]
	if surname != "" {
		c = countries[0]
	}
	p := person{nationality: c.code, home: c.code}
	p.given = c.names.given[r.IntN(len(c.names.given))]
	p.surname = surname
	if p.surname == "" {
		p.surname = c.names.surnames[r.IntN(len(c.names.surnames))]
		if r.Float64() < c.names.double {
			p.surname += " " + c.names.surnames[r.IntN(len(c.names.surnames))]
		}
	}
	if !c.eu || r.IntN(10) == 0 {
		p.home = homes[homePick.pick(r)].code
	}
	age := 18 + r.IntN(62)
	p.born = time.Date(at.Year()-age, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	p.email = asciiName(p.given) + "." + asciiName(p.surname) + strconv.Itoa(r.IntN(1000)) + "@example.com"
	if d, ok := dialling[p.home]; ok {
		p.phone = d + " " + chars(r, digits, 7)
	}
	addrs := places[p.home]
	if len(addrs) > 0 {
		p.addr = strings.Replace(addrs[r.IntN(len(addrs))], "%d", strconv.Itoa(1+r.IntN(200)), 1)
	}
	p.passport = c.passport(r)
	// A passport issued up to ten years before onboarding, valid for ten years.
	p.issued = time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -r.IntN(3650))
	p.expires = p.issued.AddDate(10, 0, -1)
	return p
}

// searchText is the queue's search column for a customer, built exactly as the customers package
// builds it: both name orders, the document numbers, the external reference.
func searchText(given, surname, externalRef string, numbers ...string) string {
	parts := append([]string{given + " " + surname, surname + " " + given}, numbers...)
	if externalRef != "" {
		parts = append(parts, externalRef)
	}
	return normalize.SearchText(parts...)
}
